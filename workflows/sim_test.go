package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/worker"
	"github.com/noterp/noterp/workflows"
)

// simApplyDelay is how long the simulator keeps an accepted patch pending.
// The simulator reads the test environment's clock, so the delay passes in
// skipped time while the workflow waits between read-backs.
const simApplyDelay = 5 * time.Second

// simRefreshTokens returns the demo seller's refresh token and no other.
type simRefreshTokens struct{}

func (simRefreshTokens) RefreshToken(_ context.Context, sellerID string) (string, error) {
	if sellerID != amazonsim.DemoSellerID {
		return "", fmt.Errorf("no refresh token stored for seller %s", sellerID)
	}
	return amazonsim.DemoRefreshToken, nil
}

// simScenario is a GovernedAction run whose activities use the real LWA
// token sources and SP-API client against a seeded simulator.
type simScenario struct {
	*scenario
	sim *amazonsim.Server
}

// newSimScenario prepares an action that sets the demo SKU (24.99 USD) to
// target under the test policy.
func newSimScenario(t *testing.T, target string) *simScenario {
	t.Helper()

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))

	sim := amazonsim.New(amazonsim.Config{ApplyDelay: simApplyDelay, Now: env.Now})
	demo := sim.SeedDemo()
	server := httptest.NewServer(sim.Handler())
	t.Cleanup(server.Close)

	sources, err := lwa.NewSources(lwa.Config{
		TokenURL:     server.URL + "/auth/o2/token",
		ClientID:     demo.ClientID,
		ClientSecret: demo.ClientSecret,
	}, simRefreshTokens{}, nil)
	if err != nil {
		t.Fatalf("lwa.NewSources: %v", err)
	}
	client, err := spapi.New(spapi.Config{Endpoint: server.URL, Tokens: sources})
	if err != nil {
		t.Fatalf("spapi.New: %v", err)
	}

	s := &scenario{
		t:          t,
		env:        env,
		store:      newFakeStore(testPolicy()),
		rejections: map[string]error{},
		input: workflows.ActionInput{
			ActionID:       "act-sim-1",
			Tenant:         "acme",
			Kind:           workflows.KindListingPriceSet,
			IdempotencyKey: "key-sim-1",
			Reason:         "match competitor",
			Params: workflows.PriceSetParams{
				SellerID:      demo.SellerID,
				MarketplaceID: demo.MarketplaceID,
				SKU:           demo.SKU,
				Price:         money.MustParse(target, "USD"),
			},
			Requester: requester,
		},
	}
	worker.Register(env, &activities.Activities{Listings: client, Store: s.store, Now: env.Now})
	return &simScenario{scenario: s, sim: sim}
}

// fault arms a simulator fault for the demo seller.
func (s *simScenario) fault(operation, kind, mode string, count int) {
	s.t.Helper()
	err := s.sim.AddFault(amazonsim.Fault{SellerID: amazonsim.DemoSellerID, Operation: operation, Kind: kind, Mode: mode, Count: count})
	if err != nil {
		s.t.Fatalf("AddFault(%s %s): %v", operation, kind, err)
	}
}

// calls returns how many requests of operation the simulator received for
// the demo seller.
func (s *simScenario) calls(operation string) int {
	return s.sim.Calls()[amazonsim.DemoSellerID][operation]
}

// demoListing returns the simulator's state of the demo SKU.
func (s *simScenario) demoListing() amazonsim.ListingState {
	s.t.Helper()
	state, ok := s.sim.Listing(amazonsim.DemoSellerID, amazonsim.DemoSKU)
	if !ok {
		s.t.Fatal("simulator lost the demo listing")
	}
	return state
}

// simDemoOffer is the seeded purchasable_offer of the demo SKU with
// our_price set to price.
func simDemoOffer(price string) json.RawMessage {
	return json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",` +
		`"our_price":[{"schedule":[{"value_with_tax":` + price + `}]}],` +
		`"discounted_price":[{"schedule":[{"start_at":"2026-01-01T00:00:00Z","end_at":"2026-12-31T23:59:59Z","value_with_tax":22.99}]}],` +
		`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":19.99}]}],` +
		`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":39.99}]}]}]`)
}

func TestSimApprovedChangeIsAppliedAndVerified(t *testing.T) {
	s := newSimScenario(t, "22.49")
	s.at(time.Minute, func() { s.approve("approve", approver) })
	s.at(25*time.Hour, func() {
		s.update("review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if len(s.rejections) != 0 {
		t.Fatalf("rejected updates: %v", s.rejections)
	}
	if st.Proposal == nil || st.Proposal.Preview == nil || st.Proposal.Preview.Status != "VALID" {
		t.Errorf("proposal preview = %+v, want VALID", st.Proposal)
	}
	if st.Execution == nil || st.Execution.Result == nil || st.Execution.Result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("execution = %+v, want outcome submitted", st.Execution)
	}
	if resp := st.Execution.Result.Response; resp == nil || resp.SubmissionID == "" || resp.RequestID == "" {
		t.Errorf("Amazon response not recorded: %+v", resp)
	}
	// The simulator applies the write five seconds after accepting it, so
	// the first read-back still shows the old price.
	if st.Verification == nil || st.Verification.Outcome != workflows.VerificationVerified || st.Verification.Checks < 2 {
		t.Errorf("verification = %+v, want verified after more than one read-back", st.Verification)
	}

	state := s.demoListing()
	if state.Writes != 1 {
		t.Errorf("simulator writes = %d, want 1", state.Writes)
	}
	if got := state.Attributes["purchasable_offer"]; !listing.Equal(got, simDemoOffer("22.49")) {
		t.Errorf("offer after the action =\n%s\nwant the new price with discount and price bounds kept\n%s", got, simDemoOffer("22.49"))
	}
	if s.store.LockCount() != 0 {
		t.Errorf("locks left held: %d", s.store.LockCount())
	}
}

func TestSimThrottledWriteRetriesThenApplies(t *testing.T) {
	s := newSimScenario(t, "22.49")
	s.at(time.Minute, func() {
		s.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultThrottle, "", 2)
		s.approve("approve", approver)
	})
	s.at(25*time.Hour, func() {
		s.update("review", workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective})
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusClosed)
	if n := s.calls(amazonsim.OperationPatchListingsItem); n != 4 {
		t.Errorf("patchListingsItem requests = %d, want 4: the preview, two throttled writes and one accepted write", n)
	}
	if writes := s.demoListing().Writes; writes != 1 {
		t.Errorf("simulator writes = %d, want 1", writes)
	}
}

func TestSimAcceptedButNotAppliedFails(t *testing.T) {
	s := newSimScenario(t, "22.49")
	s.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultNotApplied, "", 1)
	s.at(time.Minute, func() { s.approve("approve", approver) })

	st := s.run()

	wantStatus(t, st, workflows.StatusFailed)
	if !strings.Contains(st.StatusReason, "not_applied") || !strings.Contains(st.StatusReason, "24.99") {
		t.Errorf("reason = %q, want not_applied with the observed price", st.StatusReason)
	}
	if st.Execution == nil || st.Execution.Result == nil || st.Execution.Result.Outcome != activities.OutcomeSubmitted {
		t.Errorf("execution = %+v, want submitted: Amazon returned ACCEPTED", st.Execution)
	}
	v := st.Verification
	if v == nil || v.Outcome != workflows.VerificationNotApplied || v.Last == nil {
		t.Fatalf("verification = %+v, want not_applied with the last observation", v)
	}
	if want := money.MustParse("24.99", "USD"); !v.Last.OurPrice.Equal(want) {
		t.Errorf("last observed price = %s, want the old %s", v.Last.OurPrice, want)
	}
	if writes := s.demoListing().Writes; writes != 1 {
		t.Errorf("simulator writes = %d, want 1", writes)
	}
	if s.store.LockCount() != 0 {
		t.Errorf("locks left held: %d", s.store.LockCount())
	}
}

func TestSimRejectedSubmissionAfterValidPreviewFails(t *testing.T) {
	s := newSimScenario(t, "22.49")
	s.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultInvalid, amazonsim.FaultModeSubmission, 1)
	s.at(time.Minute, func() { s.approve("approve", approver) })

	st := s.run()

	wantStatus(t, st, workflows.StatusFailed)
	if !strings.Contains(st.StatusReason, "Amazon rejected") {
		t.Errorf("reason = %q, want it to say Amazon rejected the change", st.StatusReason)
	}
	if st.Proposal == nil || st.Proposal.Preview == nil || st.Proposal.Preview.Status != "VALID" {
		t.Errorf("proposal preview = %+v, want the VALID preview kept as evidence", st.Proposal)
	}
	result := st.Execution.Result
	if result == nil || result.Outcome != activities.OutcomeRejectedByAmazon || result.Response == nil || result.Response.Status != "INVALID" || len(result.Response.Issues) == 0 {
		t.Errorf("execution result = %+v, want rejected_by_amazon with Amazon's INVALID response and issues", result)
	}
	if n := s.calls(amazonsim.OperationPatchListingsItem); n != 2 {
		t.Errorf("patchListingsItem requests = %d, want 2: one preview and one submission, never retried", n)
	}
	if writes := s.demoListing().Writes; writes != 0 {
		t.Errorf("simulator writes = %d, want 0", writes)
	}
}

func TestSimRevokedSellerAfterApprovalBlocksAuth(t *testing.T) {
	s := newSimScenario(t, "22.49")
	var tokensBefore int
	s.at(time.Minute, func() {
		tokensBefore = s.calls(amazonsim.OperationToken)
		if !s.sim.RevokeSeller(amazonsim.DemoSellerID) {
			t.Error("RevokeSeller: demo seller is not registered")
		}
		s.approve("approve", approver)
	})

	st := s.run()

	wantStatus(t, st, workflows.StatusFailed)
	if !strings.Contains(st.StatusReason, "blocked_auth") {
		t.Errorf("reason = %q, want blocked_auth", st.StatusReason)
	}
	if st.Execution == nil || st.Execution.Result != nil || st.Execution.Error == "" {
		t.Errorf("execution = %+v, want an error and no result", st.Execution)
	}
	if n := s.calls(amazonsim.OperationToken) - tokensBefore; n != 1 {
		t.Errorf("token requests after revocation = %d, want exactly 1: invalid_grant is not retried", n)
	}
	if n := s.calls(amazonsim.OperationPatchListingsItem); n != 1 {
		t.Errorf("patchListingsItem requests = %d, want 1: the preview only", n)
	}
	if writes := s.demoListing().Writes; writes != 0 {
		t.Errorf("simulator writes = %d, want 0", writes)
	}
	if s.store.LockCount() != 0 {
		t.Errorf("locks left held: %d", s.store.LockCount())
	}
}

func TestSimExecutionErrorStatesCauseOnce(t *testing.T) {
	s := newSimScenario(t, "22.49")
	s.at(time.Minute, func() {
		s.sim.RevokeSeller(amazonsim.DemoSellerID)
		s.approve("approve", approver)
	})

	st := s.run()

	if st.Execution == nil {
		t.Fatalf("execution = nil, want the failed attempt recorded (status %s: %s)", st.Status, st.StatusReason)
	}
	// Approvers and auditors read this error, so Amazon's error code
	// appears once, not once per layer that wrapped it.
	if n := strings.Count(st.Execution.Error, "invalid_grant"); n != 1 {
		t.Errorf("execution error names invalid_grant %d times, want once:\n%s", n, st.Execution.Error)
	}
}
