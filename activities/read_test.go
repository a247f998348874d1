package activities_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/money"
)

func TestSnapshotOfferReadsPriceAndWholeOffer(t *testing.T) {
	tests := []struct {
		name            string
		ref             activities.ListingRef
		wantPrice       money.Money
		wantText        string
		wantProductType string
	}{
		{
			name:            "demo listing with discount and price bounds",
			ref:             demoRef(),
			wantPrice:       money.MustParse("24.99", "USD"),
			wantText:        "24.99",
			wantProductType: "LUGGAGE",
		},
		{
			name:            "Japanese listing in whole yen",
			ref:             ref(amazonsim.MarketplaceJP, amazonsim.DemoJPSKU),
			wantPrice:       money.MustParse("2980", "JPY"),
			wantText:        "2980",
			wantProductType: "PRODUCT",
		},
		{
			name:            "SKU with slash, hash and space",
			ref:             ref(amazonsim.MarketplaceUS, amazonsim.DemoSpecialSKU),
			wantPrice:       money.MustParse("8.99", "USD"),
			wantText:        "8.99",
			wantProductType: "PRODUCT",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})

			snap, err := h.snapshot(tt.ref)
			if err != nil {
				t.Fatalf("SnapshotOffer: %v", err)
			}

			if !snap.OurPrice.Equal(tt.wantPrice) {
				t.Errorf("OurPrice = %s, want %s", snap.OurPrice, tt.wantPrice)
			}
			if got := snap.OurPrice.Text(); got != tt.wantText {
				t.Errorf("OurPrice.Text() = %q, want %q", got, tt.wantText)
			}
			if snap.ProductType != tt.wantProductType {
				t.Errorf("ProductType = %q, want %q", snap.ProductType, tt.wantProductType)
			}
			stored := h.listing(tt.ref.SKU).Attributes["purchasable_offer"]
			if !listing.Equal(snap.PurchasableOffer, stored) {
				t.Errorf("PurchasableOffer =\n%s\nwant the whole stored attribute\n%s", snap.PurchasableOffer, stored)
			}
			if snap.Response.Operation != "getListingsItem" || snap.Response.HTTPStatus != 200 {
				t.Errorf("Response = %+v, want getListingsItem with HTTP 200", snap.Response)
			}
			if snap.Response.RequestID == "" {
				t.Error("Response.RequestID is empty, want Amazon's x-amzn-RequestId")
			}
			if !snap.ObservedAt.Equal(h.clock.Now()) {
				t.Errorf("ObservedAt = %s, want the activity clock's %s", snap.ObservedAt, h.clock.Now())
			}
		})
	}
}

func TestSnapshotOfferKeepsDiscountAndPriceBounds(t *testing.T) {
	h := newHarness(t, harnessOptions{})

	snap := h.mustSnapshot(demoRef())

	if !listing.Equal(snap.PurchasableOffer, json.RawMessage(demoOffer("24.99"))) {
		t.Errorf("PurchasableOffer =\n%s\nwant\n%s", snap.PurchasableOffer, demoOffer("24.99"))
	}
	for _, field := range []string{"discounted_price", "minimum_seller_allowed_price", "maximum_seller_allowed_price"} {
		if !strings.Contains(string(snap.PurchasableOffer), field) {
			t.Errorf("PurchasableOffer lacks %s: %s", field, snap.PurchasableOffer)
		}
	}
}

func TestSnapshotOfferMissingSKUIsListingNotFound(t *testing.T) {
	tests := []struct {
		name string
		ref  activities.ListingRef
	}{
		{name: "SKU unknown", ref: ref(amazonsim.MarketplaceUS, "NO-SUCH-SKU")},
		{name: "SKU sold only in another marketplace", ref: ref(amazonsim.MarketplaceUS, amazonsim.DemoJPSKU)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})

			_, err := h.snapshot(tt.ref)

			appErr := wantNonRetryable(t, err, activities.ErrTypeListingNotFound)
			if !strings.Contains(appErr.Error(), tt.ref.SKU) || !strings.Contains(appErr.Error(), tt.ref.SellerID) {
				t.Errorf("error %q does not name SKU %q and seller %s", appErr.Error(), tt.ref.SKU, tt.ref.SellerID)
			}
		})
	}
}

func TestSnapshotOfferWithoutOfferIsOfferNotFound(t *testing.T) {
	tests := []struct {
		name       string
		attributes map[string]json.RawMessage
	}{
		{
			name: "no purchasable_offer attribute",
			attributes: map[string]json.RawMessage{
				"item_name": json.RawMessage(`[{"value":"Travel Pillow","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
			},
		},
		{
			name: "only a B2B offer in the marketplace",
			attributes: map[string]json.RawMessage{
				"item_name":         json.RawMessage(`[{"value":"Travel Pillow","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
				"purchasable_offer": json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"B2B","our_price":[{"schedule":[{"value_with_tax":9.50}]}]}]`),
			},
		},
		{
			name: "offer only in another marketplace",
			attributes: map[string]json.RawMessage{
				"item_name":         json.RawMessage(`[{"value":"Travel Pillow","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
				"purchasable_offer": json.RawMessage(`[{"marketplace_id":"A1VC38T7YXB528","currency":"JPY","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":1200}]}]}]`),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			h.sim.PutListing(amazonsim.DemoSellerID, "PILLOW-001", "PRODUCT", tt.attributes)

			_, err := h.snapshot(ref(amazonsim.MarketplaceUS, "PILLOW-001"))

			appErr := wantNonRetryable(t, err, activities.ErrTypeOfferNotFound)
			if !strings.Contains(appErr.Error(), "PILLOW-001") {
				t.Errorf("error %q does not name the SKU", appErr.Error())
			}
		})
	}
}

func TestReadPriceShowsWriteOnlyAfterApplyDelay(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	target := money.MustParse("22.49", "USD")
	if _, err := h.apply(h.change(demoRef(), target)); err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}

	pending, err := h.readPrice(demoRef())
	if err != nil {
		t.Fatalf("ReadPrice before the apply delay: %v", err)
	}
	h.clock.Advance(testApplyDelay)
	applied, err := h.readPrice(demoRef())
	if err != nil {
		t.Fatalf("ReadPrice after the apply delay: %v", err)
	}

	if want := money.MustParse("24.99", "USD"); !pending.OurPrice.Equal(want) {
		t.Errorf("price before the apply delay = %s, want the old %s", pending.OurPrice, want)
	}
	if !applied.OurPrice.Equal(target) {
		t.Errorf("price after the apply delay = %s, want %s", applied.OurPrice, target)
	}
	if applied.Response.RequestID == "" || applied.Response.HTTPStatus != 200 {
		t.Errorf("Response = %+v, want HTTP 200 with a request id", applied.Response)
	}
}

func TestReadPriceAfterNotAppliedShowsOldPrice(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fault(amazonsim.OperationPatchListingsItem, amazonsim.FaultNotApplied, "", 1)

	result, err := h.apply(h.change(demoRef(), money.MustParse("22.49", "USD")))
	if err != nil {
		t.Fatalf("ApplyPrice: %v", err)
	}
	h.clock.Advance(time.Hour)
	obs, err := h.readPrice(demoRef())
	if err != nil {
		t.Fatalf("ReadPrice: %v", err)
	}

	if result.Outcome != activities.OutcomeSubmitted {
		t.Errorf("outcome = %q, want %q: Amazon returned ACCEPTED", result.Outcome, activities.OutcomeSubmitted)
	}
	if want := money.MustParse("24.99", "USD"); !obs.OurPrice.Equal(want) {
		t.Errorf("price an hour after the accepted write = %s, want the old %s", obs.OurPrice, want)
	}
	if state := h.listing(amazonsim.DemoSKU); state.Writes != 1 || state.PendingWrites != 0 {
		t.Errorf("simulator writes = %d, pending = %d; want 1 accepted write and none pending", state.Writes, state.PendingWrites)
	}
}
