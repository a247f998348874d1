package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/policy"
)

// propose reads the listing, has Amazon validate the change, judges it
// under the tenant's policy and records the proposal with its hash.
func (r *run) propose() (bool, error) {
	var snapshot activities.OfferSnapshot
	if err := workflow.ExecuteActivity(amazonOptions(r.ctx), act.SnapshotOffer, r.listingRef()).Get(r.ctx, &snapshot); err != nil {
		return r.end(StatusBlocked, "reading the listing failed: "+errorReason(err))
	}

	if err := workflow.ExecuteActivity(storeOptions(r.ctx), act.LoadPolicy,
		activities.PolicyRequest{Tenant: r.in.Tenant, Kind: r.in.Kind}).Get(r.ctx, &r.policy); err != nil {
		return r.end(StatusFailed, "loading the approval policy failed: "+errorReason(err))
	}

	target := r.in.Params.Price
	if snapshot.OurPrice.Currency != target.Currency {
		return r.end(StatusBlocked, fmt.Sprintf("the listing is priced in %s but the target %s is in %s", snapshot.OurPrice.Currency, target, target.Currency))
	}
	if snapshot.OurPrice.Equal(target) {
		return r.end(StatusBlocked, fmt.Sprintf("the listing's price is already %s: nothing to change", target))
	}
	change, err := snapshot.OurPrice.ChangePercent(target)
	if err != nil {
		return r.end(StatusBlocked, err.Error())
	}

	proposal := &Proposal{
		Snapshot:         snapshot,
		Current:          snapshot.OurPrice,
		Target:           target,
		ChangePercent:    change.StringFixed(2),
		Policy:           r.policy.EvaluateChange(change),
		ProposedAt:       workflow.Now(r.ctx),
		ApprovalDeadline: workflow.Now(r.ctx).Add(r.policy.ApprovalDeadline.D),
	}
	r.state.Proposal = proposal

	var preview activities.PreviewResult
	change2 := activities.PriceChange{ActionID: r.state.ID, Listing: r.listingRef(), Target: target, Snapshot: snapshot}
	if err := workflow.ExecuteActivity(amazonOptions(r.ctx), act.PreviewPrice, change2).Get(r.ctx, &preview); err != nil {
		return r.end(StatusBlocked, "Amazon's validation preview failed: "+errorReason(err))
	}
	proposal.Preview = &preview

	hash, err := proposalHash(r.in, proposal)
	if err != nil {
		return r.end(StatusFailed, err.Error())
	}
	proposal.Hash = hash

	if preview.Status == "INVALID" {
		return r.end(StatusBlocked, "Amazon's validation preview answered INVALID: "+activities.SummarizeIssues(preview.Issues))
	}
	if proposal.Policy.Outcome == policy.OutcomeBlock {
		return r.end(StatusBlocked, "blocked by policy: "+joinReasons(proposal.Policy.Reasons))
	}
	return false, nil
}

// awaitApproval waits for enough approvals, a rejection, a cancellation or
// the approval deadline. An auto-approved proposal passes at once.
func (r *run) awaitApproval() (bool, error) {
	if r.state.Proposal.Policy.Outcome == policy.OutcomeAutoApprove {
		r.setStatus(StatusApproved, joinReasons(r.state.Proposal.Policy.Reasons))
		return r.cancelledSince()
	}

	r.setStatus(StatusPendingApproval, "")
	deadline := r.state.Proposal.ApprovalDeadline
	ok, err := workflow.AwaitWithTimeout(r.ctx, remaining(r.ctx, deadline), func() bool {
		return len(r.state.Approvals) >= r.policy.RequiredApprovals || r.state.Rejection != nil || r.state.Cancellation != nil
	})
	if err != nil {
		return true, err
	}

	switch {
	case r.state.Cancellation != nil:
		return r.end(StatusCancelled, "cancelled by "+r.state.Cancellation.Actor.UserID)
	case r.state.Rejection != nil:
		return r.end(StatusRejected, "rejected by "+r.state.Rejection.Actor.UserID)
	case !ok:
		return r.end(StatusExpired, fmt.Sprintf("%d of %d approvals by the deadline %s", len(r.state.Approvals), r.policy.RequiredApprovals, deadline.UTC().Format(time.RFC3339)))
	}
	r.setStatus(StatusApproved, fmt.Sprintf("%d of %d approvals", len(r.state.Approvals), r.policy.RequiredApprovals))
	return false, nil
}

// cancelledSince ends the action if a cancel Update arrived in the
// approved status, before the write started.
func (r *run) cancelledSince() (bool, error) {
	if r.state.Cancellation != nil {
		return r.end(StatusCancelled, "cancelled by "+r.state.Cancellation.Actor.UserID)
	}
	return false, nil
}

// execute takes the resource lock and applies the approved price.
func (r *run) execute() (bool, error) {
	lock := activities.LockRequest{Tenant: r.state.Tenant, Resource: r.state.Resource, ActionID: r.state.ID}
	if err := workflow.ExecuteActivity(lockOptions(r.ctx), act.AcquireLock, lock).Get(r.ctx, nil); err != nil {
		return r.end(StatusFailed, "the listing is locked by another action: "+errorReason(err))
	}
	r.locked = true
	if ended, err := r.cancelledSince(); ended || err != nil {
		return ended, err
	}

	r.setStatus(StatusExecuting, "")
	exec := &Execution{StartedAt: workflow.Now(r.ctx)}
	r.state.Execution = exec

	change := activities.PriceChange{ActionID: r.state.ID, Listing: r.listingRef(), Target: r.state.Proposal.Target, Snapshot: r.state.Proposal.Snapshot}
	var result activities.ApplyResult
	err := workflow.ExecuteActivity(applyOptions(r.ctx), act.ApplyPrice, change).Get(r.ctx, &result)
	exec.FinishedAt = workflow.Now(r.ctx)
	if err != nil {
		exec.Error = errorReason(err)
		return r.end(StatusFailed, executionFailure(err))
	}
	exec.Result = &result

	switch result.Outcome {
	case activities.OutcomeStale:
		return r.end(StatusStale, result.Reason)
	case activities.OutcomeRejectedByAmazon:
		return r.end(StatusFailed, "Amazon rejected the change: "+result.Reason)
	}
	return false, nil
}

// executionFailure explains a failed execution for the status reason.
func executionFailure(err error) string {
	switch errorType(err) {
	case activities.ErrTypeAuthorizationRevoked:
		return "blocked_auth: the seller's authorization was revoked; the seller must authorize NotERP again"
	case activities.ErrTypeAppCredentials:
		return "app_credentials_expired: Amazon rejected NotERP's application credentials; no change was sent"
	}
	return "execution failed: " + errorReason(err)
}

// verifySchedule is the wait before each read-back after the first; the
// last entry repeats until the verify timeout.
var verifySchedule = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute}

// verify reads the price back until it shows the target or the policy's
// verify timeout passes. Amazon applies listing patches asynchronously, so
// "accepted" is not "applied".
func (r *run) verify() (bool, error) {
	r.setStatus(StatusVerifying, "")
	v := &Verification{}
	r.state.Verification = v
	deadline := workflow.Now(r.ctx).Add(r.policy.VerifyTimeout.D)
	target := r.state.Proposal.Target

	for i := 0; ; i++ {
		var obs activities.Observation
		err := workflow.ExecuteActivity(amazonOptions(r.ctx), act.ReadPrice, r.listingRef()).Get(r.ctx, &obs)
		v.Checks++
		if err != nil {
			v.Error = errorReason(err)
		} else {
			v.Error = ""
			v.Last = &obs
			if obs.OurPrice.Equal(target) {
				v.Outcome = VerificationVerified
				return false, nil
			}
		}

		wait := verifySchedule[min(i, len(verifySchedule)-1)]
		if left := remaining(r.ctx, deadline); left <= 0 {
			break
		} else if wait > left {
			wait = left
		}
		if err := workflow.Sleep(r.ctx, wait); err != nil {
			return true, err
		}
	}

	v.Outcome = VerificationNotApplied
	if v.Last == nil {
		return r.end(StatusFailed, "not_applied: the listing could not be read back: "+v.Error)
	}
	return r.end(StatusFailed, fmt.Sprintf("not_applied: the price still showed %s after %s, not the target %s", v.Last.OurPrice, r.policy.VerifyTimeout.D, target))
}

// awaitReview opens the review window after the policy's delay and waits
// for a reviewer's verdict until the review deadline.
func (r *run) awaitReview() (ActionState, error) {
	now := workflow.Now(r.ctx)
	r.state.Review = &ReviewState{
		OpensAt:    now.Add(r.policy.ReviewWindow.D),
		DeadlineAt: now.Add(r.policy.ReviewWindow.D + r.policy.ReviewDeadline.D),
	}
	r.setStatus(StatusInReview, "")

	if err := workflow.Sleep(r.ctx, r.policy.ReviewWindow.D); err != nil {
		return r.state, err
	}
	r.state.Review.Open = true
	r.state.UpdatedAt = workflow.Now(r.ctx)

	ok, err := workflow.AwaitWithTimeout(r.ctx, remaining(r.ctx, r.state.Review.DeadlineAt), func() bool {
		return r.state.Review.Verdict != ""
	})
	if err != nil {
		return r.state, err
	}
	if !ok {
		r.state.Review.NoVerdict = true
		return r.finish(StatusClosed, "the review deadline passed without a verdict")
	}
	return r.finish(StatusClosed, "reviewed as "+r.state.Review.Verdict+" by "+r.state.Review.Reviewer.UserID)
}

// proposalHash returns the SHA-256 of the facts an approver judges: the
// action, the offer as read, the current and target price and the policy
// decision. encoding/json writes struct fields in order and map keys
// sorted, so the hash is stable across replays and processes.
func proposalHash(in ActionInput, p *Proposal) (string, error) {
	doc := struct {
		Tenant           string             `json:"tenant"`
		Kind             string             `json:"kind"`
		Params           PriceSetParams     `json:"params"`
		ProductType      string             `json:"productType"`
		PurchasableOffer json.RawMessage    `json:"purchasableOffer"`
		Current          money.Money        `json:"current"`
		Target           money.Money        `json:"target"`
		ChangePercent    string             `json:"changePercent"`
		Policy           policy.Decision    `json:"policy"`
		PreviewStatus    string             `json:"previewStatus"`
		PreviewIssues    []activities.Issue `json:"previewIssues"`
		ProposedAt       time.Time          `json:"proposedAt"`
	}{
		Tenant: in.Tenant, Kind: in.Kind, Params: in.Params,
		ProductType: p.Snapshot.ProductType, PurchasableOffer: p.Snapshot.PurchasableOffer,
		Current: p.Current, Target: p.Target, ChangePercent: p.ChangePercent, Policy: p.Policy,
		ProposedAt: p.ProposedAt.UTC(),
	}
	if p.Preview != nil {
		doc.PreviewStatus = p.Preview.Status
		doc.PreviewIssues = p.Preview.Issues
	}
	// encoding/json iterates maps in sorted key order, so the flagged
	// map range inside it does not make the output vary.
	b, err := json.Marshal(doc) //workflowcheck:ignore
	if err != nil {
		return "", fmt.Errorf("encode proposal of action %s for hashing: %w", in.ActionID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func joinReasons(reasons []string) string {
	return strings.Join(reasons, "; ")
}
