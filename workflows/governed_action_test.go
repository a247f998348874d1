package workflows_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/activities/activitiestest"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/worker"
	"github.com/noterp/noterp/workflows"
)

var (
	requester = workflows.Principal{UserID: "u-requester", Tenant: "acme", Roles: []string{policy.RoleRequester}}
	approver  = workflows.Principal{UserID: "u-approver", Tenant: "acme", Roles: []string{policy.RoleApprover}}
	approver2 = workflows.Principal{UserID: "u-approver-2", Tenant: "acme", Roles: []string{policy.RoleApprover}}
	reviewer  = workflows.Principal{UserID: "u-reviewer", Tenant: "acme", Roles: []string{policy.RoleReviewer}}
)

// testPolicy is the default policy with a one-day review window and
// deadline and a ten-minute verify bound.
func testPolicy() policy.Policy {
	p := policy.Default("acme", workflows.KindListingPriceSet)
	p.ReviewWindow.D = 24 * time.Hour
	p.ReviewDeadline.D = 24 * time.Hour
	p.VerifyTimeout.D = 10 * time.Minute
	return p
}

type scenario struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	listings *fakeListings
	store    *activitiestest.Store
	input    workflows.ActionInput
	// rejections collects the errors of rejected Updates, by label.
	rejections map[string]error
}

func newScenario(t *testing.T, currentPrice, target string, p policy.Policy) *scenario {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	s := &scenario{
		t:          t,
		env:        env,
		listings:   newFakeListings(currentPrice),
		store:      newFakeStore(p),
		rejections: map[string]error{},
		input: workflows.ActionInput{
			ActionID:       "act-1",
			Tenant:         "acme",
			Kind:           workflows.KindListingPriceSet,
			IdempotencyKey: "key-1",
			Reason:         "match competitor",
			Params: workflows.PriceSetParams{
				SellerID: "A1SELLER", MarketplaceID: "ATVPDKIKX0DER", SKU: "HC/BRUSH#2 PINK",
				Price: money.MustParse(target, "USD"),
			},
			Requester: requester,
		},
	}
	worker.Register(env, &activities.Activities{Listings: s.listings, Store: s.store})
	return s
}

// at runs fn at d after the workflow starts (in skipped time).
func (s *scenario) at(d time.Duration, fn func()) {
	s.env.RegisterDelayedCallback(fn, d)
}

func (s *scenario) state() workflows.ActionState {
	s.t.Helper()
	v, err := s.env.QueryWorkflow(workflows.QueryState)
	if err != nil {
		s.t.Fatalf("query state: %v", err)
	}
	var st workflows.ActionState
	if err := v.Get(&st); err != nil {
		s.t.Fatalf("decode state: %v", err)
	}
	return st
}

// update sends an Update; a rejection is stored under label, an
// acceptance that fails the test if wantReject is set.
func (s *scenario) update(label, name string, arg any) {
	s.env.UpdateWorkflow(name, label, &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { s.rejections[label] = err },
		OnAccept:   func() {},
		OnComplete: func(any, error) {},
	}, arg)
}

func (s *scenario) approve(label string, who workflows.Principal) {
	s.update(label, workflows.UpdateApprove, workflows.ApproveInput{Actor: who, ProposalHash: s.state().Proposal.Hash, Comment: "ok"})
}

func (s *scenario) run() workflows.ActionState {
	s.t.Helper()
	s.env.ExecuteWorkflow(workflows.WorkflowName, s.input)
	if !s.env.IsWorkflowCompleted() {
		s.t.Fatal("workflow did not complete")
	}
	if err := s.env.GetWorkflowError(); err != nil {
		s.t.Fatalf("workflow failed: %v", err)
	}
	var st workflows.ActionState
	if err := s.env.GetWorkflowResult(&st); err != nil {
		s.t.Fatalf("decode result: %v", err)
	}
	return st
}

func (s *scenario) wantRejected(label, errType string) {
	s.t.Helper()
	err, ok := s.rejections[label]
	if !ok {
		s.t.Fatalf("update %q was accepted, want rejection of type %s", label, errType)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != errType {
		s.t.Fatalf("update %q rejected with %v, want type %s", label, err, errType)
	}
}

func wantStatus(t *testing.T, st workflows.ActionState, want workflows.Status) {
	t.Helper()
	if st.Status != want {
		t.Fatalf("status = %s (%s), want %s", st.Status, st.StatusReason, want)
	}
}

func TestApprovedChangeIsAppliedVerifiedAndReviewed(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		st := s.state()
		if st.Status != workflows.StatusPendingApproval {
			t.Errorf("status before approval = %s, want pending_approval", st.Status)
		}
		s.approve("approve", approver)
	})
	s.at(25*time.Hour, func() {
		s.update("review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective, Comment: "sales up"})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if len(s.rejections) != 0 {
		t.Fatalf("rejected updates: %v", s.rejections)
	}
	if writes, previews := s.listings.counts(); writes != 1 || previews != 1 {
		t.Errorf("writes, previews = %d, %d; want 1, 1", writes, previews)
	}
	if st.Execution == nil || st.Execution.Result == nil || st.Execution.Result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("execution = %+v, want outcome submitted", st.Execution)
	}
	if st.Execution.Result.Response.SubmissionID == "" || st.Execution.Result.Response.RequestID == "" {
		t.Errorf("Amazon response not recorded: %+v", st.Execution.Result.Response)
	}
	if st.Verification == nil || st.Verification.Outcome != workflows.VerificationVerified {
		t.Errorf("verification = %+v, want verified", st.Verification)
	}
	if st.Review == nil || st.Review.Verdict != workflows.VerdictEffective || st.Review.Reviewer.UserID != reviewer.UserID {
		t.Errorf("review = %+v, want effective by %s", st.Review, reviewer.UserID)
	}
	if len(st.Approvals) != 1 || st.Approvals[0].Actor.UserID != approver.UserID {
		t.Errorf("approvals = %+v, want one by %s", st.Approvals, approver.UserID)
	}

	got := strings.Join(s.store.Statuses(), ",")
	want := "proposed,pending_approval,approved,executing,verifying,in_review,closed"
	if got != want {
		t.Errorf("projection statuses = %s, want %s", got, want)
	}
	if s.store.LockCount() != 0 {
		t.Errorf("locks left held: %d", s.store.LockCount())
	}
}

func TestPriceWriteKeepsDiscountAndPriceBounds(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() { s.approve("approve", approver) })

	s.run()

	want := offerJSON("22.49")
	if got := s.listings.currentOffer(); !listing.Equal(got, want) {
		t.Fatalf("offer after write =\n%s\nwant\n%s", got, want)
	}
}

func TestRejectedChangeIsNeverWritten(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		s.update("reject", workflows.UpdateReject, workflows.DecisionInput{Actor: approver, Comment: "too low"})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusRejected)
	if st.Rejection == nil || st.Rejection.Actor.UserID != approver.UserID {
		t.Errorf("rejection = %+v", st.Rejection)
	}
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
}

func TestCancelledChangeIsNeverWritten(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		s.update("cancel-by-approver", workflows.UpdateCancel, workflows.DecisionInput{Actor: approver})
		s.update("cancel", workflows.UpdateCancel, workflows.DecisionInput{Actor: requester, Comment: "changed my mind"})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusCancelled)
	s.wantRejected("cancel-by-approver", workflows.ErrTypeForbidden)
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
}

func TestUnapprovedChangeExpiresAtDeadline(t *testing.T) {
	p := testPolicy()
	p.ApprovalDeadline.D = 2 * time.Hour
	s := newScenario(t, "24.99", "22.49", p)
	s.at(3*time.Hour, func() {
		s.update("late", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: "x"})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusExpired)
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
}

func TestOfferChangedSinceProposalEndsStale(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		// Someone changes the price in Seller Central after the proposal.
		s.listings.mu.Lock()
		s.listings.offer = offerJSON("23.99")
		s.listings.mu.Unlock()
		s.approve("approve", approver)
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusStale)
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
	if s.store.LockCount() != 0 {
		t.Errorf("lock left held after stale")
	}
}

func TestPriceAlreadyAtTargetIsNotWrittenAgain(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		s.listings.mu.Lock()
		s.listings.offer = offerJSON("22.49")
		s.listings.mu.Unlock()
		s.approve("approve", approver)
	})
	s.at(25*time.Hour, func() {
		s.update("review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictIneffective})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if st.Execution.Result.Outcome != activities.OutcomeAlreadyApplied {
		t.Errorf("outcome = %s, want already_applied", st.Execution.Result.Outcome)
	}
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
	if st.Verification.Outcome != workflows.VerificationVerified {
		t.Errorf("verification = %s, want verified", st.Verification.Outcome)
	}
}

func TestAcceptedButNotAppliedFails(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.listings.applyOnPatch = false
	s.at(time.Minute, func() { s.approve("approve", approver) })

	st := s.run()

	wantStatus(t, st, workflows.StatusFailed)
	if st.Verification == nil || st.Verification.Outcome != workflows.VerificationNotApplied {
		t.Fatalf("verification = %+v, want not_applied", st.Verification)
	}
	if st.Verification.Checks < 3 {
		t.Errorf("checks = %d, want several read-backs before giving up", st.Verification.Checks)
	}
	if !strings.Contains(st.StatusReason, "not_applied") || !strings.Contains(st.StatusReason, "24.99") {
		t.Errorf("reason = %q, want not_applied with the observed price", st.StatusReason)
	}
	if writes, _ := s.listings.counts(); writes != 1 {
		t.Errorf("writes = %d, want 1", writes)
	}
}

func TestSlowApplicationIsVerifiedAfterSeveralReads(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.listings.applyAfterReads = 3
	s.at(time.Minute, func() { s.approve("approve", approver) })

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if st.Verification.Outcome != workflows.VerificationVerified || st.Verification.Checks != 4 {
		t.Errorf("verification = %s after %d checks, want verified after 4", st.Verification.Outcome, st.Verification.Checks)
	}
	if st.Review == nil || !st.Review.NoVerdict {
		t.Errorf("review = %+v, want closed without a verdict at the deadline", st.Review)
	}
}

func TestInvalidPreviewBlocksProposal(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.listings.previewStatus = "INVALID"

	st := s.run()

	wantStatus(t, st, workflows.StatusBlocked)
	if st.Proposal == nil || st.Proposal.Preview == nil || len(st.Proposal.Preview.Issues) == 0 {
		t.Fatalf("proposal preview = %+v, want INVALID with issues as evidence", st.Proposal)
	}
	if !strings.Contains(st.StatusReason, "90000900") {
		t.Errorf("reason = %q, want the issue code", st.StatusReason)
	}
	if writes, _ := s.listings.counts(); writes != 0 {
		t.Errorf("writes = %d, want 0", writes)
	}
}

func TestGuardrailBreachBlocksProposal(t *testing.T) {
	s := newScenario(t, "24.99", "9.99", testPolicy())

	st := s.run()

	wantStatus(t, st, workflows.StatusBlocked)
	if !strings.Contains(st.StatusReason, "guardrail") {
		t.Errorf("reason = %q, want the guardrail named", st.StatusReason)
	}
}

func TestRealSubmissionInvalidFailsWithoutRetry(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.listings.patchStatus = "INVALID"
	s.at(time.Minute, func() { s.approve("approve", approver) })

	st := s.run()

	wantStatus(t, st, workflows.StatusFailed)
	if st.Execution.Result.Outcome != activities.OutcomeRejectedByAmazon {
		t.Errorf("outcome = %s, want rejected_by_amazon", st.Execution.Result.Outcome)
	}
	if writes, _ := s.listings.counts(); writes != 1 {
		t.Errorf("writes = %d, want exactly 1", writes)
	}
}

func TestThrottledReadsRetryThenApply(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.at(time.Minute, func() {
		s.listings.mu.Lock()
		s.listings.throttleReads = 3
		s.listings.mu.Unlock()
		s.approve("approve", approver)
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if writes, _ := s.listings.counts(); writes != 1 {
		t.Errorf("writes = %d, want 1", writes)
	}
	if st.Verification.Outcome != workflows.VerificationVerified {
		t.Errorf("verification = %s, want verified", st.Verification.Outcome)
	}
}

func TestApprovalGuards(t *testing.T) {
	p := testPolicy()
	p.RequiredApprovals = 2
	s := newScenario(t, "24.99", "22.49", p)
	outsider := workflows.Principal{UserID: "u-other", Tenant: "globex", Roles: []string{policy.RoleApprover}}
	s.at(time.Minute, func() {
		hash := s.state().Proposal.Hash
		s.update("self", workflows.UpdateApprove, workflows.ApproveInput{Actor: workflows.Principal{UserID: requester.UserID, Tenant: "acme", Roles: []string{policy.RoleRequester, policy.RoleApprover}}, ProposalHash: hash})
		s.update("role", workflows.UpdateApprove, workflows.ApproveInput{Actor: reviewer, ProposalHash: hash})
		s.update("tenant", workflows.UpdateApprove, workflows.ApproveInput{Actor: outsider, ProposalHash: hash})
		s.update("hash", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: "0000"})
		s.update("nohash", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver})
		s.update("first", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: hash})
		s.update("duplicate", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: hash})
		s.update("early-review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective})
	})
	s.at(2*time.Minute, func() {
		if st := s.state(); st.Status != workflows.StatusPendingApproval || len(st.Approvals) != 1 {
			t.Errorf("after one of two approvals: status %s with %d approvals", st.Status, len(st.Approvals))
		}
		s.approve("second", approver2)
	})
	s.at(time.Hour, func() {
		s.update("late-approve", workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: s.state().Proposal.Hash})
		s.update("review-before-window", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective})
	})
	s.at(25*time.Hour, func() {
		s.update("bad-verdict", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: "great"})
		s.update("review-by-approver", workflows.UpdateReview, workflows.ReviewInput{Actor: approver, Verdict: workflows.VerdictHarmful})
		s.update("review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictHarmful, Comment: "sales dropped"})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	s.wantRejected("self", workflows.ErrTypeForbidden)
	s.wantRejected("role", workflows.ErrTypeForbidden)
	s.wantRejected("tenant", workflows.ErrTypeForbidden)
	s.wantRejected("hash", workflows.ErrTypeConflict)
	s.wantRejected("nohash", workflows.ErrTypeInvalid)
	s.wantRejected("duplicate", workflows.ErrTypeConflict)
	s.wantRejected("early-review", workflows.ErrTypeConflict)
	s.wantRejected("late-approve", workflows.ErrTypeConflict)
	s.wantRejected("review-before-window", workflows.ErrTypeConflict)
	s.wantRejected("bad-verdict", workflows.ErrTypeInvalid)
	s.wantRejected("review-by-approver", workflows.ErrTypeForbidden)
	for _, label := range []string{"first", "second", "review"} {
		if err, ok := s.rejections[label]; ok {
			t.Errorf("update %q rejected: %v", label, err)
		}
	}
	if len(st.Approvals) != 2 || st.Review.Verdict != workflows.VerdictHarmful {
		t.Errorf("approvals = %d, verdict = %q; want 2 and harmful", len(st.Approvals), st.Review.Verdict)
	}
}

func TestAutoApprovalSkipsApprovers(t *testing.T) {
	p := testPolicy()
	p.RequiredApprovals = 0

	s := newScenario(t, "24.99", "23.99", p)

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if writes, _ := s.listings.counts(); writes != 1 {
		t.Errorf("writes = %d, want 1", writes)
	}
}

func TestCurrencyMismatchBlocksProposal(t *testing.T) {
	s := newScenario(t, "24.99", "22.49", testPolicy())
	s.input.Params.Price = money.MustParse("2249", "JPY")

	st := s.run()

	wantStatus(t, st, workflows.StatusBlocked)
	if !strings.Contains(st.StatusReason, "ATVPDKIKX0DER") || !strings.Contains(st.StatusReason, "USD") {
		t.Errorf("reason = %q, want the marketplace and its currency", st.StatusReason)
	}
}

func TestProposalHashIsStableAcrossRuns(t *testing.T) {
	hashes := map[string]bool{}
	for range 2 {
		s := newScenario(t, "24.99", "22.49", testPolicy())
		s.at(time.Minute, func() { hashes[s.state().Proposal.Hash] = true })
		s.at(2*time.Minute, func() { s.update("cancel", workflows.UpdateCancel, workflows.DecisionInput{Actor: requester}) })
		s.run()
	}
	if len(hashes) != 1 {
		t.Fatalf("hashes = %v, want one value for the same facts", hashes)
	}
}
