package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/internal/policy"
)

// registerHandlers sets up the state query and the four Updates. Handlers
// only change r.state; the main loop waits on that state.
func (r *run) registerHandlers() error {
	if err := workflow.SetQueryHandler(r.ctx, QueryState, func() (ActionState, error) {
		return r.state, nil
	}); err != nil {
		return fmt.Errorf("register query %s: %w", QueryState, err)
	}

	updates := []struct {
		name    string
		handler any
		options workflow.UpdateHandlerOptions
	}{
		{UpdateApprove, r.approve, workflow.UpdateHandlerOptions{Validator: r.validateApprove}},
		{UpdateReject, r.reject, workflow.UpdateHandlerOptions{Validator: r.validateReject}},
		{UpdateCancel, r.cancel, workflow.UpdateHandlerOptions{Validator: r.validateCancel}},
		{UpdateReview, r.review, workflow.UpdateHandlerOptions{Validator: r.validateReview}},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(r.ctx, u.name, u.handler, u.options); err != nil {
			return fmt.Errorf("register update %s: %w", u.name, err)
		}
	}
	return nil
}

// checkActor rejects an actor of another tenant.
func (r *run) checkActor(actor Principal) error {
	if actor.UserID == "" {
		return invalid("the request names no user")
	}
	if actor.Tenant != r.state.Tenant {
		return forbidden(fmt.Sprintf("user %s belongs to tenant %s, not %s", actor.UserID, actor.Tenant, r.state.Tenant))
	}
	return nil
}

// checkDecider applies the rules shared by approve and reject.
func (r *run) checkDecider(actor Principal, verb string) error {
	if err := r.checkActor(actor); err != nil {
		return err
	}
	if r.state.Status == StatusProposed {
		return conflict(fmt.Sprintf("action %s is still proposed: wait until its status is pending_approval and its proposal has a hash, then retry", r.state.ID))
	}
	if r.state.Status != StatusPendingApproval {
		return conflict(fmt.Sprintf("action %s is %s, not pending_approval: it can no longer be %s", r.state.ID, r.state.Status, verb))
	}
	if actor.UserID == r.state.Requester.UserID {
		return forbidden(fmt.Sprintf("user %s requested action %s and cannot approve or reject it: ask another approver", actor.UserID, r.state.ID))
	}
	if !r.policy.CanDecide(actor.Roles) {
		return forbidden(fmt.Sprintf("user %s has roles %v but policy version %d lets only %v approve or reject", actor.UserID, actor.Roles, r.policy.Version, r.policy.EligibleRoles))
	}
	return nil
}

func (r *run) validateApprove(in ApproveInput) error {
	if err := r.checkDecider(in.Actor, "approved"); err != nil {
		return err
	}
	if in.ProposalHash == "" {
		return invalid("proposalHash is missing: send the hash of the proposal you reviewed")
	}
	if in.ProposalHash != r.state.Proposal.Hash {
		return conflict(fmt.Sprintf("proposalHash %q does not match the current proposal %q: reload the action and review it again", in.ProposalHash, r.state.Proposal.Hash))
	}
	for _, a := range r.state.Approvals {
		if a.Actor.UserID == in.Actor.UserID {
			return conflict(fmt.Sprintf("user %s already approved action %s", in.Actor.UserID, r.state.ID))
		}
	}
	return nil
}

func (r *run) approve(ctx workflow.Context, in ApproveInput) (ActionState, error) {
	r.state.Approvals = append(r.state.Approvals, Approval{
		Actor:        in.Actor,
		ProposalHash: in.ProposalHash,
		Comment:      in.Comment,
		At:           workflow.Now(ctx),
	})
	r.state.UpdatedAt = workflow.Now(ctx)
	return r.state, nil
}

func (r *run) validateReject(in DecisionInput) error {
	return r.checkDecider(in.Actor, "rejected")
}

func (r *run) reject(ctx workflow.Context, in DecisionInput) (ActionState, error) {
	r.state.Rejection = &Decision{Actor: in.Actor, Comment: in.Comment, At: workflow.Now(ctx)}
	r.state.UpdatedAt = workflow.Now(ctx)
	return r.state, nil
}

// cancellable lists the statuses before any write to Amazon starts.
var cancellable = []Status{StatusProposed, StatusPendingApproval, StatusApproved}

func (r *run) validateCancel(in DecisionInput) error {
	if err := r.checkActor(in.Actor); err != nil {
		return err
	}
	if !slices.Contains(cancellable, r.state.Status) || r.state.Cancellation != nil {
		return conflict(fmt.Sprintf("action %s is %s: only a proposed, pending or approved action that has not started executing can be cancelled", r.state.ID, r.state.Status))
	}
	if in.Actor.UserID != r.state.Requester.UserID && !in.Actor.HasRole(policy.RoleAdmin) {
		return forbidden(fmt.Sprintf("user %s did not request action %s: only its requester or an admin can cancel it", in.Actor.UserID, r.state.ID))
	}
	return nil
}

func (r *run) cancel(ctx workflow.Context, in DecisionInput) (ActionState, error) {
	r.state.Cancellation = &Decision{Actor: in.Actor, Comment: in.Comment, At: workflow.Now(ctx)}
	r.state.UpdatedAt = workflow.Now(ctx)
	return r.state, nil
}

func (r *run) validateReview(in ReviewInput) error {
	if err := r.checkActor(in.Actor); err != nil {
		return err
	}
	if !in.Actor.HasRole(policy.RoleReviewer) {
		return forbidden(fmt.Sprintf("user %s has roles %v: only a reviewer can record a review", in.Actor.UserID, in.Actor.Roles))
	}
	if !slices.Contains([]string{VerdictEffective, VerdictIneffective, VerdictHarmful}, in.Verdict) {
		return invalid(fmt.Sprintf("verdict %q is unknown: use effective, ineffective or harmful", in.Verdict))
	}
	if r.state.Status != StatusInReview || r.state.Review == nil {
		return conflict(fmt.Sprintf("action %s is %s, not in_review: it can't be reviewed now", r.state.ID, r.state.Status))
	}
	if !r.state.Review.Open {
		return conflict(fmt.Sprintf("the review window of action %s opens at %s: review it after that", r.state.ID, r.state.Review.OpensAt.UTC().Format("2006-01-02T15:04:05Z")))
	}
	if r.state.Review.Verdict != "" {
		return conflict(fmt.Sprintf("action %s was already reviewed as %s", r.state.ID, r.state.Review.Verdict))
	}
	return nil
}

func (r *run) review(ctx workflow.Context, in ReviewInput) (ActionState, error) {
	now := workflow.Now(ctx)
	actor := in.Actor
	r.state.Review.Verdict = in.Verdict
	r.state.Review.Comment = in.Comment
	r.state.Review.Reviewer = &actor
	r.state.Review.At = &now
	r.state.UpdatedAt = now
	return r.state, nil
}
