package activities_test

import (
	"testing"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/money"
)

func TestPreviewPriceReportsAmazonValidation(t *testing.T) {
	tests := []struct {
		name       string
		invalid    bool
		wantStatus string
		wantIssue  string
	}{
		{name: "valid", wantStatus: "VALID"},
		{name: "invalid", invalid: true, wantStatus: "INVALID", wantIssue: "90000900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			change := h.change(demoRef(), money.MustParse("22.49", "USD"))
			if tt.invalid {
				h.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultInvalid, amazonsim.FaultModePreview, 1)
			}

			result, err := h.preview(change)
			if err != nil {
				t.Fatalf("PreviewPrice: %v", err)
			}

			if result.Status != tt.wantStatus {
				t.Errorf("Status = %q, want %q (issues %+v)", result.Status, tt.wantStatus, result.Issues)
			}
			switch {
			case tt.wantIssue == "" && len(result.Issues) != 0:
				t.Errorf("Issues = %+v, want none", result.Issues)
			case tt.wantIssue != "" && (len(result.Issues) == 0 || result.Issues[0].Code != tt.wantIssue || result.Issues[0].Severity != "ERROR"):
				t.Errorf("Issues = %+v, want an ERROR issue %s", result.Issues, tt.wantIssue)
			}
			if result.Response.Operation != "patchListingsItem:VALIDATION_PREVIEW" || result.Response.HTTPStatus != 200 || result.Response.RequestID == "" {
				t.Errorf("Response = %+v, want the preview operation with HTTP 200 and a request id", result.Response)
			}

			h.clock.Advance(testApplyDelay)
			state := h.listing(amazonsim.DemoSKU)
			if state.Writes != 0 || state.PendingWrites != 0 {
				t.Errorf("simulator writes = %d, pending = %d; a preview must write nothing", state.Writes, state.PendingWrites)
			}
			if obs, err := h.readPrice(demoRef()); err != nil || !obs.OurPrice.Equal(money.MustParse("24.99", "USD")) {
				t.Errorf("price after preview = %s (err %v), want 24.99 USD unchanged", obs.OurPrice, err)
			}
		})
	}
}

func TestPreviewPriceRejectsCurrencyMismatch(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	change := h.change(demoRef(), money.MustParse("2249", "JPY"))

	_, err := h.preview(change)

	wantNonRetryable(t, err, activities.ErrTypeInvalidInput)
	if n := h.calls(amazonsim.OperationPatchListingsItem); n != 0 {
		t.Errorf("patchListingsItem requests = %d, want 0 for an input NotERP can reject itself", n)
	}
}
