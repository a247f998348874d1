// Package e2e tests NotERP end to end: the HTTP API, a Temporal dev
// server, PostgreSQL, the worker and the Amazon simulator, wired as in
// production. The tests need bin/temporal (`make bin/temporal`) and a
// PostgreSQL server (NOTERP_TEST_DATABASE_URL).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/noterp/noterp/api"
	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/amazonsim"
	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/secrets"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
	"github.com/noterp/noterp/worker"
	"github.com/noterp/noterp/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const tenant = "demo"

// stack is one NotERP deployment for a test.
type stack struct {
	t           testing.TB
	temporal    client.Client
	temporalHP  string
	databaseURL string
	store       *store.Store
	sim         *amazonsim.Server
	simURL      string
	demo        amazonsim.Demo
	api         *httptest.Server
	tokens      map[string]string
	secretsFile string
	secretsKey  []byte
	secrets     *secrets.Local
	logger      *zap.Logger
	// pollInterval is the wait between state reads in waitFor.
	pollInterval time.Duration
}

// newStack starts PostgreSQL (a fresh database), the simulator, the API
// and, with inProcessWorker, a worker in this process.
func newStack(t testing.TB, inProcessWorker bool) *stack {
	t.Helper()
	ctx := context.Background()
	s := &stack{t: t, logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), pollInterval: 200 * time.Millisecond}

	s.temporalHP = testenv.Temporal(t)
	s.databaseURL = testenv.Postgres(t)
	st, err := store.Open(ctx, s.databaseURL, s.logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	s.store = st

	s.sim = amazonsim.New(amazonsim.Config{ApplyDelay: 300 * time.Millisecond, Logger: s.logger})
	s.demo = s.sim.SeedDemo()
	simServer := httptest.NewServer(s.sim.Handler())
	t.Cleanup(simServer.Close)
	s.simURL = simServer.URL

	dir := t.TempDir()
	s.secretsFile = filepath.Join(dir, "secrets.json")
	s.secretsKey, err = secrets.LoadOrCreateKey(filepath.Join(dir, "secrets.key"))
	if err != nil {
		t.Fatal(err)
	}
	vault, err := secrets.OpenLocal(s.secretsFile, s.secretsKey)
	if err != nil {
		t.Fatal(err)
	}
	s.secrets = vault
	if err := vault.PutRefreshToken(ctx, s.demo.SellerID, s.demo.RefreshToken); err != nil {
		t.Fatal(err)
	}

	s.temporal, err = client.Dial(client.Options{HostPort: s.temporalHP, Logger: devstack.TemporalLogger(s.logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.temporal.Close)

	if inProcessWorker {
		sources, err := lwa.NewSources(lwa.Config{TokenURL: s.simURL + "/auth/o2/token", ClientID: s.demo.ClientID, ClientSecret: s.demo.ClientSecret}, vault, s.logger)
		if err != nil {
			t.Fatal(err)
		}
		listings, err := spapi.New(spapi.Config{Endpoint: s.simURL, AppName: "NotERP-e2e", AppVersion: "0.1", Tokens: sources, Logger: s.logger})
		if err != nil {
			t.Fatal(err)
		}
		w, err := worker.New(worker.Config{Temporal: s.temporal, Store: st, Listings: listings, Logger: s.logger})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}

	server, err := api.New(api.Config{Store: st, Temporal: s.temporal, Logger: s.logger})
	if err != nil {
		t.Fatal(err)
	}
	s.api = httptest.NewServer(server.Handler())
	t.Cleanup(s.api.Close)

	creds, err := st.SeedDemo(ctx, store.DemoSeed{
		Tenant: tenant, SellerID: s.demo.SellerID, Region: "na",
		MarketplaceIDs: []string{s.demo.MarketplaceID}, ReviewWindow: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.tokens = creds.Tokens
	return s
}

// response is a decoded API response.
type response struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r response) errorMessage() string {
	e, _ := r.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// call sends one API request as role ("" for no token).
func (s *stack) call(method, path, role string, body any, header map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.api.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[role])
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (s *stack) actionsPath() string { return "/v1/tenants/" + tenant + "/actions" }

// priceRequest is a listing.price.set request for the demo listing.
func (s *stack) priceRequest(amount string) map[string]any {
	return map[string]any{
		"kind": workflows.KindListingPriceSet,
		"params": map[string]any{
			"sellerId": s.demo.SellerID, "marketplaceId": s.demo.MarketplaceID, "sku": s.demo.SKU,
			"price": map[string]any{"amount": amount, "currency": "USD"},
		},
		"reason": "match the competitor's price",
	}
}

// propose starts an action and returns its id.
func (s *stack) propose(key, amount string) string {
	s.t.Helper()
	r := s.call("POST", s.actionsPath(), "requester", s.priceRequest(amount), map[string]string{"Idempotency-Key": key})
	if r.status != http.StatusCreated {
		s.t.Fatalf("propose: status %d: %s", r.status, r.raw)
	}
	id, _ := r.body["id"].(string)
	if id == "" {
		s.t.Fatalf("propose: no id in %s", r.raw)
	}
	return id
}

// state reads the action through the API.
func (s *stack) state(id string) workflows.ActionState {
	s.t.Helper()
	r := s.call("GET", s.actionsPath()+"/"+id, "reviewer", nil, nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("get action %s: status %d: %s", id, r.status, r.raw)
	}
	var st workflows.ActionState
	if err := json.Unmarshal(r.raw, &st); err != nil {
		s.t.Fatalf("decode action %s: %v: %s", id, err, r.raw)
	}
	return st
}

// waitFor polls the action until cond holds or a minute passes.
func (s *stack) waitFor(id, what string, cond func(workflows.ActionState) bool) workflows.ActionState {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st := s.state(id)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("action %s never reached %s: status %s (%s)", id, what, st.Status, st.StatusReason)
		}
		time.Sleep(s.pollInterval)
	}
}

func (s *stack) waitForStatus(id string, status workflows.Status) workflows.ActionState {
	s.t.Helper()
	return s.waitFor(id, string(status), func(st workflows.ActionState) bool {
		if st.Status.Terminal() && st.Status != status {
			s.t.Fatalf("action %s ended %s (%s) while waiting for %s", id, st.Status, st.StatusReason, status)
		}
		return st.Status == status
	})
}

func (s *stack) waitForOpenReview(id string) workflows.ActionState {
	s.t.Helper()
	return s.waitFor(id, "an open review window", func(st workflows.ActionState) bool {
		if st.Status.Terminal() {
			s.t.Fatalf("action %s ended %s (%s) before review", id, st.Status, st.StatusReason)
		}
		return st.Status == workflows.StatusInReview && st.Review != nil && st.Review.Open
	})
}

func (s *stack) approve(id, hash string) response {
	return s.call("POST", s.actionsPath()+"/"+id+"/approve", "approver", map[string]any{"proposalHash": hash, "comment": "looks right"}, nil)
}

func (s *stack) review(id, verdict string) response {
	return s.call("POST", s.actionsPath()+"/"+id+"/review", "reviewer", map[string]any{"verdict": verdict, "comment": "checked sales"}, nil)
}

func (s *stack) listing() amazonsim.ListingState {
	s.t.Helper()
	l, ok := s.sim.Listing(s.demo.SellerID, s.demo.SKU)
	if !ok {
		s.t.Fatalf("simulator lost listing %s", s.demo.SKU)
	}
	return l
}

func wantStatusCode(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.raw)
	}
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
