package contract

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
)

type refreshTokenMap map[string]string

func (m refreshTokenMap) RefreshToken(_ context.Context, sellerID string) (string, error) {
	return m[sellerID], nil
}

// fixedToken is a TokenProvider that always returns one made-up token.
type fixedToken string

func (f fixedToken) AccessToken(context.Context, string) (string, error) { return string(f), nil }
func (f fixedToken) Invalidate(string)                                   {}

// clock is a settable clock for the simulator, so that tests can refill its
// token buckets without waiting.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// contractEnv is a seeded simulator and two spapi clients whose HTTP
// traffic passes through one validating transport: one with real tokens
// from the simulator's LWA endpoint and one with a made-up token.
type contractEnv struct {
	sim       *amazonsim.Server
	clock     *clock
	demo      amazonsim.Demo
	transport *validatingTransport
	client    *spapi.Client
	badClient *spapi.Client
}

func newContractEnv(t *testing.T) *contractEnv {
	t.Helper()
	doc := loadModel(t)

	env := &contractEnv{clock: &clock{now: time.Now()}}
	env.sim = amazonsim.New(amazonsim.Config{ApplyDelay: -1, Now: env.clock.Now})
	env.demo = env.sim.SeedDemo()
	server := httptest.NewServer(env.sim.Handler())
	t.Cleanup(server.Close)

	tokens, err := lwa.NewSources(lwa.Config{
		TokenURL:     server.URL + "/auth/o2/token",
		ClientID:     env.demo.ClientID,
		ClientSecret: env.demo.ClientSecret,
	}, refreshTokenMap{env.demo.SellerID: env.demo.RefreshToken}, nil)
	if err != nil {
		t.Fatalf("lwa.NewSources: %v", err)
	}

	env.transport = &validatingTransport{t: t, doc: doc, base: http.DefaultTransport}
	httpClient := &http.Client{Transport: env.transport, Timeout: 10 * time.Second}
	env.client, err = spapi.New(spapi.Config{Endpoint: server.URL, AppName: "NotERP", AppVersion: "contract", HTTPClient: httpClient, Tokens: tokens})
	if err != nil {
		t.Fatalf("spapi.New: %v", err)
	}
	env.badClient, err = spapi.New(spapi.Config{Endpoint: server.URL, AppName: "NotERP", AppVersion: "contract", HTTPClient: httpClient, Tokens: fixedToken("Atza|made-up")})
	if err != nil {
		t.Fatalf("spapi.New: %v", err)
	}
	return env
}

func pricePatch(marketplaceID, currency, amount string) spapi.PatchRequest {
	return spapi.PatchRequest{
		ProductType: "PRODUCT",
		Patches: []spapi.PatchOperation{{
			Op:    spapi.OpReplace,
			Path:  "/attributes/purchasable_offer",
			Value: json.RawMessage(`[{"marketplace_id":"` + marketplaceID + `","currency":"` + currency + `","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":` + amount + `}]}]}]`),
		}},
	}
}

func TestGetListingsItemMatchesModel(t *testing.T) {
	env := newContractEnv(t)
	ctx := context.Background()
	cases := []struct {
		name          string
		sku           string
		marketplaceID string
		includedData  []string
	}{
		{"default", amazonsim.DemoSKU, amazonsim.MarketplaceUS, nil},
		{"summaries", amazonsim.DemoSKU, amazonsim.MarketplaceUS, []string{"summaries"}},
		{"attributes and issues", amazonsim.DemoSKU, amazonsim.MarketplaceUS, []string{"attributes", "issues"}},
		{"offers and fulfillment", amazonsim.DemoSKU, amazonsim.MarketplaceUS, []string{"offers", "fulfillmentAvailability"}},
		{"everything", amazonsim.DemoSKU, amazonsim.MarketplaceUS, []string{"summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships", "productTypes"}},
		{"yen listing", amazonsim.DemoJPSKU, amazonsim.MarketplaceJP, []string{"summaries", "offers", "attributes"}},
		{"special character SKU", amazonsim.DemoSpecialSKU, amazonsim.MarketplaceUS, []string{"summaries", "offers"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.transport.t = t
			env.clock.Advance(time.Second)
			item, _, err := env.client.GetListingsItem(ctx, env.demo.SellerID, tc.sku, spapi.GetListingsItemOptions{
				MarketplaceIDs: []string{tc.marketplaceID}, IncludedData: tc.includedData, IssueLocale: "en_US",
			})
			if err != nil {
				t.Fatalf("GetListingsItem: %v", err)
			}
			if item.SKU != tc.sku {
				t.Errorf("SKU = %q, want %q", item.SKU, tc.sku)
			}
		})
	}
}

func TestPatchListingsItemMatchesModel(t *testing.T) {
	env := newContractEnv(t)
	ctx := context.Background()
	us := []string{amazonsim.MarketplaceUS}
	merge := spapi.PatchRequest{ProductType: "LUGGAGE", Patches: []spapi.PatchOperation{{
		Op: spapi.OpMerge, Path: "/attributes/fulfillment_availability",
		Value: json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":7}]`),
	}}}
	camelCase := spapi.PatchRequest{ProductType: "PRODUCT", Patches: []spapi.PatchOperation{{
		Op: spapi.OpReplace, Path: "/attributes/fulfillmentAvailability",
		Value: json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":7}]`),
	}}}
	deleteOp := spapi.PatchRequest{ProductType: "LUGGAGE", Patches: []spapi.PatchOperation{{Op: spapi.OpDelete, Path: "/attributes/condition_type"}}}

	cases := []struct {
		name       string
		sku        string
		body       spapi.PatchRequest
		opts       spapi.PatchListingsItemOptions
		wantStatus string
	}{
		{"preview", amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "26.59"), spapi.PatchListingsItemOptions{MarketplaceIDs: us, Mode: spapi.ModeValidationPreview, IncludedData: []string{"issues", "identifiers"}}, spapi.StatusValid},
		{"replace", amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "26.59"), spapi.PatchListingsItemOptions{MarketplaceIDs: us, IssueLocale: "en_US"}, spapi.StatusAccepted},
		{"merge", amazonsim.DemoSKU, merge, spapi.PatchListingsItemOptions{MarketplaceIDs: us, IncludedData: []string{"issues"}}, spapi.StatusAccepted},
		{"delete", amazonsim.DemoSKU, deleteOp, spapi.PatchListingsItemOptions{MarketplaceIDs: us}, spapi.StatusAccepted},
		{"yen replace", amazonsim.DemoJPSKU, pricePatch(amazonsim.MarketplaceJP, "JPY", "2780"), spapi.PatchListingsItemOptions{MarketplaceIDs: []string{amazonsim.MarketplaceJP}}, spapi.StatusAccepted},
		{"special character SKU", amazonsim.DemoSpecialSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "9.49"), spapi.PatchListingsItemOptions{MarketplaceIDs: us}, spapi.StatusAccepted},
		{"invalid price", amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "-5"), spapi.PatchListingsItemOptions{MarketplaceIDs: us}, spapi.StatusInvalid},
		{"invalid currency preview", amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "EUR", "5"), spapi.PatchListingsItemOptions{MarketplaceIDs: us, Mode: spapi.ModeValidationPreview}, spapi.StatusInvalid},
		{"camelCase attribute", amazonsim.DemoSKU, camelCase, spapi.PatchListingsItemOptions{MarketplaceIDs: us}, spapi.StatusInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.transport.t = t
			env.clock.Advance(time.Second)
			submission, _, err := env.client.PatchListingsItem(ctx, env.demo.SellerID, tc.sku, tc.body, tc.opts)
			if err != nil {
				t.Fatalf("PatchListingsItem: %v", err)
			}
			if submission.Status != tc.wantStatus {
				t.Errorf("status = %s, want %s (issues %+v)", submission.Status, tc.wantStatus, submission.Issues)
			}
		})
	}
}

func TestErrorResponsesMatchModel(t *testing.T) {
	env := newContractEnv(t)
	ctx := context.Background()
	us := []string{amazonsim.MarketplaceUS}
	get := func(client *spapi.Client, sku string) error {
		_, _, err := client.GetListingsItem(ctx, env.demo.SellerID, sku, spapi.GetListingsItemOptions{MarketplaceIDs: us})
		return err
	}
	patch := func(client *spapi.Client) error {
		_, _, err := client.PatchListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "26.59"), spapi.PatchListingsItemOptions{MarketplaceIDs: us})
		return err
	}
	addFault := func(t *testing.T, operation, kind string, count int) {
		if err := env.sim.AddFault(amazonsim.Fault{SellerID: env.demo.SellerID, Operation: operation, Kind: kind, Count: count}); err != nil {
			t.Fatalf("AddFault: %v", err)
		}
	}

	cases := []struct {
		name       string
		arrange    func(t *testing.T)
		call       func() error
		wantStatus int
	}{
		{"get not found", func(*testing.T) {}, func() error { return get(env.client, "NO-SUCH-SKU") }, 404},
		{"get throttled", func(t *testing.T) { addFault(t, amazonsim.OperationGetListingsItem, amazonsim.FaultThrottle, 1) }, func() error { return get(env.client, amazonsim.DemoSKU) }, 429},
		{"patch throttled", func(t *testing.T) { addFault(t, amazonsim.OperationPatchListingsItem, amazonsim.FaultThrottle, 1) }, func() error { return patch(env.client) }, 429},
		{"get server error", func(t *testing.T) { addFault(t, amazonsim.OperationGetListingsItem, amazonsim.FaultServerError, 1) }, func() error { return get(env.client, amazonsim.DemoSKU) }, 500},
		{"patch server error", func(t *testing.T) { addFault(t, amazonsim.OperationPatchListingsItem, amazonsim.FaultServerError, 1) }, func() error { return patch(env.client) }, 500},
		{"get expired token twice", func(t *testing.T) { addFault(t, amazonsim.OperationGetListingsItem, amazonsim.FaultExpiredToken, 2) }, func() error { return get(env.client, amazonsim.DemoSKU) }, 403},
		{"patch invalid token", func(*testing.T) {}, func() error { return patch(env.badClient) }, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.transport.t = t
			env.clock.Advance(time.Second)
			tc.arrange(t)

			err := tc.call()

			var apiErr *spapi.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.wantStatus {
				t.Errorf("error = %v, want *spapi.Error with HTTP %d", err, tc.wantStatus)
			}
		})
	}
}

func TestContractCoversEveryStatus(t *testing.T) {
	env := newContractEnv(t)
	ctx := context.Background()
	us := []string{amazonsim.MarketplaceUS}

	if err := env.sim.AddFault(amazonsim.Fault{Operation: amazonsim.OperationPatchListingsItem, Kind: amazonsim.FaultExpiredToken, Count: 2}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}
	_, _, _ = env.client.PatchListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "26.59"), spapi.PatchListingsItemOptions{MarketplaceIDs: us})
	_, _, _ = env.client.PatchListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSKU, pricePatch(amazonsim.MarketplaceUS, "USD", "26.59"), spapi.PatchListingsItemOptions{MarketplaceIDs: us})
	_, _, _ = env.client.GetListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSKU, spapi.GetListingsItemOptions{MarketplaceIDs: us})
	_, _, _ = env.badClient.GetListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSKU, spapi.GetListingsItemOptions{MarketplaceIDs: us})

	for _, want := range []exchange{
		{spapi.OperationPatchListingsItem, 403},
		{spapi.OperationPatchListingsItem, 200},
		{spapi.OperationGetListingsItem, 200},
		{spapi.OperationGetListingsItem, 403},
	} {
		if !env.transport.seen(want.operation, want.status) {
			t.Errorf("no validated %s answer with HTTP %d", want.operation, want.status)
		}
	}
}
