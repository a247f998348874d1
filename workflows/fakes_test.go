package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/noterp/noterp/activities/activitiestest"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/policy"
)

// fakeListings is an in-memory Listings Items API holding one listing.
type fakeListings struct {
	mu          sync.Mutex
	offer       json.RawMessage
	productType string
	writes      int
	previews    int
	reads       int

	// applyOnPatch applies an accepted write at once; when false the write
	// is accepted but never shows (Amazon's "accepted is not applied").
	applyOnPatch bool
	// applyAfterReads delays the application until that many reads after
	// the write.
	applyAfterReads int
	pending         json.RawMessage
	readsSinceWrite int

	previewStatus string
	patchStatus   string
	// throttleReads is how many reads get 429 before reads succeed.
	throttleReads int
	// onRead runs before each read, to change the listing between calls.
	onRead func(n int, f *fakeListings)
}

func newFakeListings(price string) *fakeListings {
	return &fakeListings{
		offer:        offerJSON(price),
		productType:  "LUGGAGE",
		applyOnPatch: true,
	}
}

// offerJSON is a purchasable_offer with a discount and min/max prices that
// a price change must keep.
func offerJSON(price string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",`+
		`"our_price":[{"schedule":[{"value_with_tax":%s}]}],`+
		`"discounted_price":[{"schedule":[{"start_at":"2026-11-01T00:00:00Z","end_at":"2026-12-31T00:00:00Z","value_with_tax":18.99}]}],`+
		`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":10.00}]}],`+
		`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":40.00}]}]}]`, price))
}

func (f *fakeListings) GetListingsItem(_ context.Context, sellerID, sku string, opts spapi.GetListingsItemOptions) (*spapi.Item, spapi.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.onRead != nil {
		f.onRead(f.reads, f)
	}
	if f.throttleReads > 0 {
		f.throttleReads--
		return nil, spapi.Response{}, &spapi.Error{Operation: "getListingsItem", SellerID: sellerID, SKU: sku, StatusCode: 429, RequestID: "req-429",
			Errors: []spapi.ErrorDetail{{Code: "QuotaExceeded", Message: "You exceeded your quota for the requested resource."}}}
	}
	if f.pending != nil {
		f.readsSinceWrite++
		if f.readsSinceWrite > f.applyAfterReads {
			f.offer, f.pending = f.pending, nil
		}
	}
	item := &spapi.Item{
		SKU:        sku,
		Summaries:  []spapi.ItemSummary{{MarketplaceID: opts.MarketplaceIDs[0], ProductType: f.productType}},
		Attributes: map[string]json.RawMessage{"purchasable_offer": f.offer},
	}
	return item, spapi.Response{StatusCode: 200, RequestID: fmt.Sprintf("req-get-%d", f.reads)}, nil
}

func (f *fakeListings) PatchListingsItem(_ context.Context, sellerID, sku string, body spapi.PatchRequest, opts spapi.PatchListingsItemOptions) (*spapi.SubmissionResponse, spapi.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := spapi.Response{StatusCode: 200, RequestID: "req-patch"}
	if opts.Mode == "VALIDATION_PREVIEW" {
		f.previews++
		status := "VALID"
		var issues []spapi.Issue
		if f.previewStatus != "" {
			status = f.previewStatus
		}
		if status == "INVALID" {
			issues = []spapi.Issue{{Code: "90000900", Message: "The attributes are invalid.", Severity: "ERROR", Categories: []string{"INVALID_PRICE"}}}
		}
		return &spapi.SubmissionResponse{SKU: sku, Status: status, SubmissionID: "preview-1", Issues: issues}, resp, nil
	}

	f.writes++
	status := "ACCEPTED"
	if f.patchStatus != "" {
		status = f.patchStatus
	}
	if status == "ACCEPTED" && f.applyOnPatch {
		f.pending = body.Patches[0].Value
		f.readsSinceWrite = 0
	}
	return &spapi.SubmissionResponse{SKU: sku, Status: status, SubmissionID: fmt.Sprintf("sub-%d", f.writes)}, resp, nil
}

func (f *fakeListings) counts() (writes, previews int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, f.previews
}

func (f *fakeListings) currentOffer() json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.offer
}

// newFakeStore returns an in-memory store serving p.
func newFakeStore(p policy.Policy) *activitiestest.Store {
	return activitiestest.NewStore(p)
}
