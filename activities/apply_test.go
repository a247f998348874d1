package activities_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/money"
)

func TestApplyPriceSubmitsAndKeepsOfferFields(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))

	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("Outcome = %q (%s), want %q", result.Outcome, result.Reason, activities.OutcomeSubmitted)
	}
	if !result.Before.OurPrice.Equal(money.MustParse("24.99", "USD")) {
		t.Errorf("Before.OurPrice = %s, want 24.99 USD", result.Before.OurPrice)
	}
	if !listing.Equal(result.Sent, json.RawMessage(demoOffer("22.49"))) {
		t.Errorf("Sent =\n%s\nwant\n%s", result.Sent, demoOffer("22.49"))
	}
	resp := result.Response
	if resp == nil || resp.Status != "ACCEPTED" || resp.SubmissionID == "" || resp.RequestID == "" || resp.HTTPStatus != 200 {
		t.Fatalf("Response = %+v, want ACCEPTED with a submission id and a request id", resp)
	}

	state := h.listing(amazonsim.DemoSKU)
	if state.Writes != 1 || state.PendingWrites != 1 {
		t.Errorf("simulator writes = %d, pending = %d; want 1 accepted write, still pending", state.Writes, state.PendingWrites)
	}
	h.clock.Advance(testApplyDelay)
	state = h.listing(amazonsim.DemoSKU)
	if got := state.Attributes["purchasable_offer"]; !listing.Equal(got, json.RawMessage(demoOffer("22.49"))) {
		t.Errorf("offer after the apply delay =\n%s\nwant the new price with discount and price bounds kept\n%s", got, demoOffer("22.49"))
	}

	rec, ok := h.store.Execution(change.ActionID)
	if !ok || rec.State != "sent" || rec.SubmissionID != resp.SubmissionID || rec.RequestID != resp.RequestID || rec.Status != "ACCEPTED" {
		t.Errorf("execution record = %+v (found %t), want state sent with Amazon's submission id %s", rec, ok, resp.SubmissionID)
	}
}

func TestApplyPriceSendsWholeYen(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	jp := ref(amazonsim.MarketplaceJP, amazonsim.DemoJPSKU)
	change := h.change(jp, money.MustParse("2780", "JPY"))

	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}
	h.clock.Advance(testApplyDelay)
	obs, err := h.readPrice(jp)
	if err != nil {
		t.Fatalf("ReadPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("Outcome = %q (%s), want submitted", result.Outcome, result.Reason)
	}
	if !strings.Contains(string(result.Sent), `"value_with_tax":2780}`) {
		t.Errorf("Sent = %s, want value_with_tax 2780 without decimals", result.Sent)
	}
	if !obs.OurPrice.Equal(change.Target) || obs.OurPrice.Text() != "2780" {
		t.Errorf("price read back = %s, want 2780 JPY", obs.OurPrice)
	}
}

func TestApplyPriceWritesSpecialCharacterSKU(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	special := ref(amazonsim.MarketplaceUS, amazonsim.DemoSpecialSKU)
	change := h.change(special, money.MustParse("7.99", "USD"))

	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}
	h.clock.Advance(testApplyDelay)
	obs, err := h.readPrice(special)
	if err != nil {
		t.Fatalf("ReadPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("Outcome = %q (%s), want submitted", result.Outcome, result.Reason)
	}
	if !obs.OurPrice.Equal(change.Target) {
		t.Errorf("price of %q read back = %s, want %s", special.SKU, obs.OurPrice, change.Target)
	}
	if writes := h.listing(amazonsim.DemoSpecialSKU).Writes; writes != 1 {
		t.Errorf("writes to %q = %d, want 1", special.SKU, writes)
	}
	for _, other := range []string{amazonsim.DemoSKU, "NOTERP-DEMO-002"} {
		if writes := h.listing(other).Writes; writes != 0 {
			t.Errorf("writes to %q = %d, want 0: the SKU must reach Amazon as one path segment", other, writes)
		}
	}
}

func TestApplyPriceAlreadyAtTargetWritesNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))
	h.setDemoOffer(demoOffer("22.49"))

	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeAlreadyApplied {
		t.Errorf("Outcome = %q (%s), want %q", result.Outcome, result.Reason, activities.OutcomeAlreadyApplied)
	}
	if result.Response != nil || len(result.Sent) != 0 {
		t.Errorf("Response = %+v, Sent = %s; want neither when nothing is written", result.Response, result.Sent)
	}
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
		t.Errorf("patchListingsItem requests = %d, want 0", n)
	}
	if _, ok := h.store.Execution(change.ActionID); ok {
		t.Error("an execution record was stored, want none when nothing is written")
	}
}

func TestApplyPriceOfferChangedSinceSnapshotIsStale(t *testing.T) {
	tests := []struct {
		name  string
		offer string
	}{
		{name: "price changed", offer: demoOffer("23.99")},
		{name: "discount removed, price unchanged", offer: `[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",` +
			`"our_price":[{"schedule":[{"value_with_tax":24.99}]}],` +
			`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":19.99}]}],` +
			`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":39.99}]}]}]`},
		{name: "minimum price raised, price unchanged", offer: strings.Replace(demoOffer("24.99"), "19.99", "21.99", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			change := h.change(demoRef(), money.MustParse("22.49", "USD"))
			h.setDemoOffer(tt.offer)

			result, err := h.apply(change)
			if err != nil {
				t.Fatalf("ApplyPrice: %v", err)
			}

			if result.Outcome != activities.OutcomeStale {
				t.Errorf("Outcome = %q, want %q", result.Outcome, activities.OutcomeStale)
			}
			if !strings.Contains(result.Reason, "propose the change again") {
				t.Errorf("Reason = %q, want it to say what to do", result.Reason)
			}
			if !listing.Equal(result.Before.PurchasableOffer, json.RawMessage(tt.offer)) {
				t.Errorf("Before = %s, want the offer read at execution", result.Before.PurchasableOffer)
			}
			if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
				t.Errorf("patchListingsItem requests = %d, want 0", n)
			}
			if _, ok := h.store.Execution(change.ActionID); ok {
				t.Error("an execution record was stored, want none for a stale offer")
			}
		})
	}
}

func TestApplyPriceEarlierAttemptBlocksRewrite(t *testing.T) {
	tests := []struct {
		name        string
		prior       activities.ExecutionRecord
		wantOutcome string
		wantSubID   string
	}{
		{
			name:        "response lost mid-call",
			prior:       activities.ExecutionRecord{State: "sending"},
			wantOutcome: activities.OutcomeSubmissionUnknown,
		},
		{
			name:        "response stored",
			prior:       activities.ExecutionRecord{State: "sent", HTTPStatus: 200, RequestID: "req-earlier", SubmissionID: "sub-earlier", Status: "ACCEPTED"},
			wantOutcome: activities.OutcomeSubmitted,
			wantSubID:   "sub-earlier",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			change := h.change(demoRef(), money.MustParse("22.49", "USD"))
			prior := tt.prior
			prior.ActionID, prior.Tenant = change.ActionID, change.Listing.Tenant
			h.store.PutExecution(prior)

			result, err := h.apply(change)
			if err != nil {
				t.Fatalf("ApplyPrice: %v", err)
			}

			if result.Outcome != tt.wantOutcome {
				t.Errorf("Outcome = %q (%s), want %q", result.Outcome, result.Reason, tt.wantOutcome)
			}
			if tt.wantSubID != "" && (result.Response == nil || result.Response.SubmissionID != tt.wantSubID) {
				t.Errorf("Response = %+v, want the stored submission %s", result.Response, tt.wantSubID)
			}
			if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
				t.Errorf("patchListingsItem requests = %d, want 0 after an earlier attempt began the write", n)
			}
			if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 0 {
				t.Errorf("simulator writes = %d, want 0", writes)
			}
		})
	}
}

func TestApplyPriceRejectedAfterValidPreview(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))
	h.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultInvalid, amazonsim.FaultModeSubmission, 1)

	preview, err := h.preview(change)
	if err != nil {
		t.Fatalf("PreviewPrice: %v", err)
	}
	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("ApplyPrice returned an error, want a rejected outcome that is not retried: %v", err)
	}

	if preview.Status != "VALID" {
		t.Fatalf("preview Status = %q, want VALID", preview.Status)
	}
	if result.Outcome != activities.OutcomeRejectedByAmazon {
		t.Fatalf("Outcome = %q, want %q", result.Outcome, activities.OutcomeRejectedByAmazon)
	}
	if !strings.Contains(result.Reason, "INVALID") || !strings.Contains(result.Reason, "90000900") {
		t.Errorf("Reason = %q, want the status and the issue code", result.Reason)
	}
	if result.Response == nil || result.Response.Status != "INVALID" || len(result.Response.Issues) == 0 || result.Response.Issues[0].Code != "90000900" {
		t.Errorf("Response = %+v, want status INVALID with issue 90000900 kept as evidence", result.Response)
	}
	if result.Response != nil && result.Response.SubmissionID == preview.Response.SubmissionID {
		t.Errorf("submission id %s is the preview's: the real result must be stored apart from the preview", result.Response.SubmissionID)
	}
	if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 0 {
		t.Errorf("simulator writes = %d, want 0 for an INVALID submission", writes)
	}
	if rec, _ := h.store.Execution(change.ActionID); rec.State != "sent" || rec.Status != "INVALID" {
		t.Errorf("execution record = %+v, want state sent with Amazon's status INVALID", rec)
	}
}

func TestApplyPriceStoreFailureWritesNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))
	h.store.BeginErr = errors.New("connection refused")

	_, err := h.apply(change)

	if err == nil {
		t.Fatal("ApplyPrice succeeded, want the store error")
	}
	if !strings.Contains(err.Error(), change.ActionID) {
		t.Errorf("error %q does not name action %s", err, change.ActionID)
	}
	if appErr := appError(t, err); appErr.NonRetryable() {
		t.Errorf("error %v is non-retryable, want a retry once the store is back", err)
	}
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
		t.Errorf("patchListingsItem requests = %d, want 0 without a stored execution record", n)
	}
}

func TestApplyPriceRejectsCurrencyMismatch(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("2249", "JPY"))

	_, err := h.apply(change)

	wantNonRetryable(t, err, activities.ErrTypeInvalidInput)
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
		t.Errorf("patchListingsItem requests = %d, want 0", n)
	}
}

func TestApplyPriceLostResponseIsNotResent(t *testing.T) {
	h := newHarness(t, harnessOptions{lostWriteResponses: 1})
	change := h.change(demoRef(), money.MustParse("22.49", "USD"))

	_, err := h.apply(change)
	if err == nil {
		t.Fatal("ApplyPrice succeeded although the response was lost, want an error")
	}
	if appErr := appError(t, err); appErr.NonRetryable() {
		t.Errorf("error %v is non-retryable, want a retry that settles the unknown submission", err)
	}
	rec, _ := h.store.Execution(change.ActionID)
	result, err := h.apply(change)
	if err != nil {
		t.Fatalf("retried ApplyPrice: %v", err)
	}

	// Amazon accepted the first write but NotERP never received the
	// response. The change is still pending, so the offer reads as in the
	// snapshot.
	if rec.State == "failed" {
		t.Errorf("execution record after the lost response = %+v, want it not marked failed: the write may have taken effect", rec)
	}
	if result.Outcome != activities.OutcomeSubmissionUnknown {
		t.Errorf("retried Outcome = %q, want %q", result.Outcome, activities.OutcomeSubmissionUnknown)
	}
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 1 {
		t.Errorf("patchListingsItem requests = %d, want 1: a write whose response was lost is not sent again", n)
	}
	if writes := h.listing(amazonsim.DemoSKU).Writes; writes != 1 {
		t.Errorf("simulator writes = %d, want 1", writes)
	}
}
