package activities_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/activities/activitiestest"
	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/policy"
)

// testApplyDelay is how long the simulator keeps an accepted patch pending.
// The simulator runs on a settable clock, so the delay passes only when a
// test advances it.
const testApplyDelay = 5 * time.Second

// settableClock is a clock that moves only when a test advances it.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// refreshTokenStore returns the demo seller's refresh token and no other.
type refreshTokenStore struct{}

func (refreshTokenStore) RefreshToken(_ context.Context, sellerID string) (string, error) {
	if sellerID != amazonsim.DemoSellerID {
		return "", fmt.Errorf("no refresh token stored for seller %s", sellerID)
	}
	return amazonsim.DemoRefreshToken, nil
}

// harnessOptions change how newHarness builds the activities.
type harnessOptions struct {
	// clientSecret replaces the demo client secret the LWA token source
	// sends, to test a rejected application secret.
	clientSecret string
	// lostWriteResponses is how many price writes reach the simulator while
	// their responses never reach the SP-API client, as when a connection
	// breaks after Amazon accepted the request.
	lostWriteResponses int
}

// harness is the activities with the real SP-API client and LWA token
// sources against a seeded simulator, run inside Temporal's activity test
// environment so that errors go through Temporal's failure conversion.
type harness struct {
	t     *testing.T
	clock *settableClock
	sim   *amazonsim.Server
	store *activitiestest.Store
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()

	clock := &settableClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	sim := amazonsim.New(amazonsim.Config{ApplyDelay: testApplyDelay, Now: clock.Now})
	demo := sim.SeedDemo()
	server := httptest.NewServer(sim.Handler())
	t.Cleanup(server.Close)

	secret := demo.ClientSecret
	if opts.clientSecret != "" {
		secret = opts.clientSecret
	}
	// The token sources keep the wall clock on purpose: a test that ages
	// the simulator's clock makes a cached access token look valid to
	// NotERP while Amazon already rejects it.
	sources, err := lwa.NewSources(lwa.Config{
		TokenURL:     server.URL + "/auth/o2/token",
		ClientID:     demo.ClientID,
		ClientSecret: secret,
	}, refreshTokenStore{}, nil)
	if err != nil {
		t.Fatalf("lwa.NewSources: %v", err)
	}
	httpClient := &http.Client{Transport: &lostResponseTransport{remaining: opts.lostWriteResponses}}
	client, err := spapi.New(spapi.Config{Endpoint: server.URL, Tokens: sources, HTTPClient: httpClient})
	if err != nil {
		t.Fatalf("spapi.New: %v", err)
	}

	store := newFakeStore()
	acts := &activities.Activities{Listings: client, Store: store, Now: clock.Now}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	return &harness{t: t, clock: clock, sim: sim, store: store, acts: acts, env: env}
}

// lostResponseTransport sends every request, but drops the responses to the
// first remaining price writes and returns a connection error instead.
// Previews keep their responses.
type lostResponseTransport struct {
	mu        sync.Mutex
	remaining int
}

func (l *lostResponseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.Method != http.MethodPatch || req.URL.Query().Get("mode") != "" {
		return resp, err
	}

	l.mu.Lock()
	lose := l.remaining > 0
	if lose {
		l.remaining--
	}
	l.mu.Unlock()
	if !lose {
		return resp, nil
	}
	resp.Body.Close()
	return nil, errors.New("read tcp 127.0.0.1: connection reset by peer")
}

// ref names a listing of the demo seller.
func ref(marketplaceID, sku string) activities.ListingRef {
	return activities.ListingRef{Tenant: "acme", SellerID: amazonsim.DemoSellerID, MarketplaceID: marketplaceID, SKU: sku}
}

// demoRef names the demo listing at 24.99 USD.
func demoRef() activities.ListingRef {
	return ref(amazonsim.MarketplaceUS, amazonsim.DemoSKU)
}

func (h *harness) snapshot(r activities.ListingRef) (activities.OfferSnapshot, error) {
	h.t.Helper()
	var snap activities.OfferSnapshot
	err := h.execute(&snap, h.acts.SnapshotOffer, r)
	return snap, err
}

func (h *harness) readPrice(r activities.ListingRef) (activities.Observation, error) {
	h.t.Helper()
	var obs activities.Observation
	err := h.execute(&obs, h.acts.ReadPrice, r)
	return obs, err
}

func (h *harness) preview(change activities.PriceChange) (activities.PreviewResult, error) {
	h.t.Helper()
	var result activities.PreviewResult
	err := h.execute(&result, h.acts.PreviewPrice, change)
	return result, err
}

func (h *harness) apply(change activities.PriceChange) (activities.ApplyResult, error) {
	h.t.Helper()
	var result activities.ApplyResult
	err := h.execute(&result, h.acts.ApplyPrice, change)
	return result, err
}

// execute runs one attempt of activity with arg and decodes its result
// into out when it succeeds.
func (h *harness) execute(out any, activity any, arg any) error {
	h.t.Helper()
	value, err := h.env.ExecuteActivity(activity, arg)
	if err != nil {
		return err
	}
	if err := value.Get(out); err != nil {
		h.t.Fatalf("decode activity result: %v", err)
	}
	return nil
}

// mustSnapshot reads r and fails the test on an error.
func (h *harness) mustSnapshot(r activities.ListingRef) activities.OfferSnapshot {
	h.t.Helper()
	snap, err := h.snapshot(r)
	if err != nil {
		h.t.Fatalf("SnapshotOffer(%s): %v", r.SKU, err)
	}
	return snap
}

// change snapshots r and returns the change to target, as the proposal
// would build it.
func (h *harness) change(r activities.ListingRef, target money.Money) activities.PriceChange {
	h.t.Helper()
	return activities.PriceChange{ActionID: "act-" + strings.ReplaceAll(r.SKU, " ", "-"), Listing: r, Target: target, Snapshot: h.mustSnapshot(r)}
}

// fault arms a simulator fault for the demo seller.
func (h *harness) fault(operation, kind, mode string, count int) {
	h.t.Helper()
	err := h.sim.AddFault(amazonsim.Fault{SellerID: amazonsim.DemoSellerID, Operation: operation, Kind: kind, Mode: mode, Count: count})
	if err != nil {
		h.t.Fatalf("AddFault(%s %s): %v", operation, kind, err)
	}
}

// calls returns how many requests of operation the simulator received for
// the demo seller.
func (h *harness) calls(operation string) int {
	return h.sim.Calls()[amazonsim.DemoSellerID][operation]
}

// listing returns the simulator's state of a demo seller's SKU.
func (h *harness) listing(sku string) amazonsim.ListingState {
	h.t.Helper()
	state, ok := h.sim.Listing(amazonsim.DemoSellerID, sku)
	if !ok {
		h.t.Fatalf("simulator has no listing %q", sku)
	}
	return state
}

// setDemoOffer replaces the demo SKU's purchasable_offer directly in the
// simulator, the way a seller editing it in Seller Central would.
func (h *harness) setDemoOffer(offer string) {
	h.t.Helper()
	state := h.listing(amazonsim.DemoSKU)
	state.Attributes["purchasable_offer"] = []byte(offer)
	h.sim.PutListing(amazonsim.DemoSellerID, amazonsim.DemoSKU, state.ProductType, state.Attributes)
}

// demoOffer is the seeded purchasable_offer of the demo SKU with our_price
// set to price: the discount and the minimum and maximum prices must
// survive every price write.
func demoOffer(price string) string {
	return `[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",` +
		`"our_price":[{"schedule":[{"value_with_tax":` + price + `}]}],` +
		`"discounted_price":[{"schedule":[{"start_at":"2026-01-01T00:00:00Z","end_at":"2026-12-31T23:59:59Z","value_with_tax":22.99}]}],` +
		`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":19.99}]}],` +
		`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":39.99}]}]}]`
}

// appError returns the application error inside an activity error, failing
// the test when there is none.
func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	if err == nil {
		t.Fatal("activity succeeded, want an error")
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("error %v (%T) carries no application error", err, err)
	}
	return appErr
}

// wantNonRetryable checks that err is a non-retryable application error of
// errType.
func wantNonRetryable(t *testing.T, err error, errType string) *temporal.ApplicationError {
	t.Helper()
	appErr := appError(t, err)
	if appErr.Type() != errType {
		t.Errorf("error type = %q, want %q (error: %v)", appErr.Type(), errType, err)
	}
	if !appErr.NonRetryable() {
		t.Errorf("error %v is retryable, want non-retryable", err)
	}
	return appErr
}

// wantRetryable checks that err is a retryable application error of errType.
func wantRetryable(t *testing.T, err error, errType string) *temporal.ApplicationError {
	t.Helper()
	appErr := appError(t, err)
	if appErr.Type() != errType {
		t.Errorf("error type = %q, want %q (error: %v)", appErr.Type(), errType, err)
	}
	if appErr.NonRetryable() {
		t.Errorf("error %v is non-retryable, want retryable", err)
	}
	return appErr
}

// newFakeStore returns an in-memory store serving the default policy.
func newFakeStore() *activitiestest.Store {
	return activitiestest.NewStore(policy.Default("acme", "listing.price.set"))
}
