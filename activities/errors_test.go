package activities_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/money"
)

func TestApplyPriceTransientErrorsAreRetryable(t *testing.T) {
	tests := []struct {
		name      string
		operation string
		fault     string
		wantType  string
		// wantDelay is true when the error must name its own retry delay.
		wantDelay bool
		// wantRecord is the HTTP status of the failed execution record, or 0
		// when the activity stops before it begins the write.
		wantRecord int
	}{
		{name: "patch throttled", operation: amazonsim.OperationPatchListingsItem, fault: amazonsim.FaultThrottle, wantType: activities.ErrTypeThrottled, wantDelay: true, wantRecord: 429},
		{name: "read throttled", operation: amazonsim.OperationGetListingsItem, fault: amazonsim.FaultThrottle, wantType: activities.ErrTypeThrottled, wantDelay: true},
		{name: "patch server error", operation: amazonsim.OperationPatchListingsItem, fault: amazonsim.FaultServerError, wantType: activities.ErrTypeAmazonUnavailable, wantRecord: 500},
		{name: "read server error", operation: amazonsim.OperationGetListingsItem, fault: amazonsim.FaultServerError, wantType: activities.ErrTypeAmazonUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			change := h.change(demoRef(), money.MustParse("22.49", "USD"))
			h.fault(tt.operation, tt.fault, "", 1)

			_, err := h.apply(change)

			appErr := wantRetryable(t, err, tt.wantType)
			if tt.wantDelay {
				// The activity returns at once and leaves the wait to
				// Temporal's retry, so a throttled seller holds no worker slot.
				if delay := appErr.NextRetryDelay(); delay <= 0 || delay > time.Minute {
					t.Errorf("NextRetryDelay = %s, want a positive delay of at most a minute", delay)
				}
			}
			if !strings.Contains(appErr.Error(), amazonsim.DemoSKU) {
				t.Errorf("error %q does not name the SKU", appErr.Error())
			}
			if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 0 {
				t.Errorf("simulator writes = %d, want 0", writes)
			}
			rec, ok := h.store.Execution(change.ActionID)
			switch {
			case tt.wantRecord == 0 && ok:
				t.Errorf("execution record = %+v, want none before the write began", rec)
			case tt.wantRecord != 0 && (rec.State != "failed" || rec.HTTPStatus != tt.wantRecord):
				t.Errorf("execution record = %+v, want state failed with HTTP %d", rec, tt.wantRecord)
			}

			// Temporal's retry runs the activity again, and the failed
			// record must not stop it from writing.
			result, err := h.apply(change)
			if err != nil {
				t.Fatalf("retried ApplyPrice: %v", err)
			}
			if result.Outcome != activities.OutcomeSubmitted {
				t.Errorf("retried Outcome = %q (%s), want submitted", result.Outcome, result.Reason)
			}
			if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 1 {
				t.Errorf("simulator writes after the retry = %d, want 1", writes)
			}
		})
	}
}

func TestTokenEndpointFailureIsRetryable(t *testing.T) {
	tests := []struct {
		name  string
		fault string
	}{
		{name: "throttled", fault: amazonsim.FaultThrottle},
		{name: "server error", fault: amazonsim.FaultServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			h.fault(amazonsim.OperationToken, tt.fault, "", 1)

			_, err := h.snapshot(demoRef())

			appErr := appError(t, err)
			if appErr.NonRetryable() {
				t.Errorf("error %v is non-retryable, want a retry of the token request", err)
			}
			if typ := appErr.Type(); typ == activities.ErrTypeAuthorizationRevoked || typ == activities.ErrTypeAppCredentials {
				t.Errorf("error type = %s: a failed token request is not a revoked authorization or a rejected secret", typ)
			}
			if _, err := h.snapshot(demoRef()); err != nil {
				t.Errorf("SnapshotOffer after the token endpoint recovered: %v", err)
			}
		})
	}
}

func TestRevokedSellerIsNotRetried(t *testing.T) {
	tests := []struct {
		name string
		// cached is true when the worker holds an access token from before
		// the revocation, which Amazon then rejects.
		cached bool
	}{
		{name: "access token cached before revocation", cached: true},
		{name: "no access token cached", cached: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			change := activities.PriceChange{ActionID: "act-revoked", Listing: demoRef(), Target: money.MustParse("22.49", "USD")}
			if tt.cached {
				change = h.change(demoRef(), change.Target)
			}
			if !h.sim.RevokeSeller(amazonsim.DemoSellerID) {
				t.Fatal("RevokeSeller: demo seller is not registered")
			}

			const attempts = 3
			for attempt := 1; attempt <= attempts; attempt++ {
				before := h.calls(amazonsim.OperationToken)

				_, err := h.apply(change)

				appErr := wantNonRetryable(t, err, activities.ErrTypeAuthorizationRevoked)
				if !strings.Contains(appErr.Error(), amazonsim.DemoSellerID) {
					t.Errorf("attempt %d: error %q does not name the seller", attempt, appErr.Error())
				}
				if n := h.calls(amazonsim.OperationToken) - before; n != 1 {
					t.Errorf("attempt %d: token requests = %d, want exactly 1", attempt, n)
				}
			}

			if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
				t.Errorf("patchListingsItem requests = %d, want 0 for a revoked seller", n)
			}
			if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 0 {
				t.Errorf("simulator writes = %d, want 0", writes)
			}
		})
	}
}

func TestRejectedClientSecretStopsEverySeller(t *testing.T) {
	h := newHarness(t, harnessOptions{clientSecret: "rotated-away-secret"})

	for attempt := 1; attempt <= 2; attempt++ {
		before := h.calls(amazonsim.OperationToken)

		_, err := h.snapshot(demoRef())

		wantNonRetryable(t, err, activities.ErrTypeAppCredentials)
		if n := h.calls(amazonsim.OperationToken) - before; n != 1 {
			t.Errorf("attempt %d: token requests = %d, want exactly 1", attempt, n)
		}
	}
	if n := h.calls(amazonsim.OperationGetListingsItem); n != 0 {
		t.Errorf("getListingsItem requests = %d, want 0 without an access token", n)
	}
}

func TestExpiredAccessTokenIsRefreshedOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))
	// The worker still holds the token it got for the snapshot, but by
	// Amazon's clock that token is 61 minutes old and past its one-hour life.
	h.clock.Advance(61 * time.Minute)

	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeSubmitted {
		t.Errorf("Outcome = %q (%s), want submitted", result.Outcome, result.Reason)
	}
	if n := h.calls(amazonsim.OperationToken); n != 2 {
		t.Errorf("token requests = %d, want 2: the first token and one refresh", n)
	}
	if n := h.calls(amazonsim.OperationGetListingsItem); n != 3 {
		t.Errorf("getListingsItem requests = %d, want 3: snapshot, refused read, repeated read", n)
	}
	if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 1 {
		t.Errorf("simulator writes = %d, want 1", writes)
	}
}

func TestAccessTokenRefusedTwiceIsNotRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))
	h.fault(amazonsim.OperationGetListingsItem, amazonsim.FaultExpiredToken, "", 2)

	_, err := h.apply(change)

	appErr := appError(t, err)
	if !appErr.NonRetryable() {
		t.Errorf("error %v is retryable, want a stop after one refresh", err)
	}
	if appErr.Type() != activities.ErrTypeAuthorizationRevoked {
		t.Errorf("error type = %s, want %s: a refused fresh token is treated like a revoked authorization", appErr.Type(), activities.ErrTypeAuthorizationRevoked)
	}
	if n := h.calls(amazonsim.OperationToken); n != 2 {
		t.Errorf("token requests = %d, want 2: the first token and exactly one refresh", n)
	}
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
		t.Errorf("patchListingsItem requests = %d, want 0", n)
	}
}

// failingListings returns err from every call, for Amazon error responses
// that the simulator cannot produce.
type failingListings struct{ err error }

func (f failingListings) GetListingsItem(context.Context, string, string, spapi.GetListingsItemOptions) (*spapi.Item, spapi.Response, error) {
	return nil, spapi.Response{}, f.err
}

func (f failingListings) PatchListingsItem(context.Context, string, string, spapi.PatchRequest, spapi.PatchListingsItemOptions) (*spapi.SubmissionResponse, spapi.Response, error) {
	return nil, spapi.Response{}, f.err
}

func TestAmazonErrorResponsesAreClassified(t *testing.T) {
	forbidden := func(details string) *spapi.Error {
		return &spapi.Error{
			Operation: spapi.OperationGetListingsItem, SellerID: amazonsim.DemoSellerID, SKU: amazonsim.DemoSKU,
			StatusCode: 403, RequestID: "req-403", ErrorType: "AccessDeniedException",
			Errors: []spapi.ErrorDetail{{Code: "Unauthorized", Message: "Access to requested resource is denied.", Details: details}},
		}
	}
	tests := []struct {
		name          string
		err           error
		wantType      string
		wantRetryable bool
	}{
		{name: "application secret expired", err: forbidden("The LWA secret token you provided has expired."), wantType: activities.ErrTypeAppCredentials},
		{name: "access denied without token details", err: forbidden(""), wantType: activities.ErrTypeAmazonRejected},
		{name: "bad request", err: &spapi.Error{Operation: spapi.OperationGetListingsItem, SellerID: amazonsim.DemoSellerID, StatusCode: 400,
			Errors: []spapi.ErrorDetail{{Code: "InvalidInput", Message: "Missing required parameter marketplaceIds."}}}, wantType: activities.ErrTypeAmazonRejected},
		{name: "not found", err: &spapi.Error{Operation: spapi.OperationGetListingsItem, SellerID: amazonsim.DemoSellerID, StatusCode: 404}, wantType: activities.ErrTypeListingNotFound},
		{name: "service unavailable", err: &spapi.Error{Operation: spapi.OperationGetListingsItem, SellerID: amazonsim.DemoSellerID, StatusCode: 503}, wantType: activities.ErrTypeAmazonUnavailable, wantRetryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts := &activities.Activities{Listings: failingListings{err: tt.err}, Store: newFakeStore()}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(acts)

			_, err := env.ExecuteActivity(acts.SnapshotOffer, demoRef())

			if tt.wantRetryable {
				wantRetryable(t, err, tt.wantType)
				return
			}
			wantNonRetryable(t, err, tt.wantType)
		})
	}
}
