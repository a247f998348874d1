package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/money"
)

const (
	requesterToken = "tok-requester"
	approverToken  = "tok-approver"
	reviewerToken  = "tok-reviewer"
	proposalHash   = "sha256:5f2b"
)

// fakeAPI is a stand-in for NotERP's API that moves one action through the
// lifecycle, one status per read, and checks who calls what.
type fakeAPI struct {
	t *testing.T

	mu       sync.Mutex
	statuses []string // statuses still to show, one per GET
	status   string
	open     bool
	proposed map[string]any
	key      string

	// Overrides that make a step fail.
	approveError  string
	afterProposal []string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	return &fakeAPI{t: t, afterProposal: []string{"proposed", "pending_approval"}}
}

func (f *fakeAPI) writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func (f *fakeAPI) action() map[string]any {
	return map[string]any{
		"id":       "act-1",
		"kind":     "listing.price.set",
		"status":   f.status,
		"proposal": map[string]any{"hash": proposalHash},
		"review":   map[string]any{"opensAt": "2026-05-01T10:00:20Z", "open": f.open},
	}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	const base = "/v1/tenants/demo/actions"

	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		if token != requesterToken {
			f.writeError(w, 403, "forbidden", "only a requester may propose")
			return
		}
		f.key = r.Header.Get("Idempotency-Key")
		json.NewDecoder(r.Body).Decode(&f.proposed)
		f.status = "proposed"
		f.statuses = append([]string(nil), f.afterProposal...)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(f.action())

	case r.Method == http.MethodGet && r.URL.Path == base+"/act-1":
		if len(f.statuses) > 0 {
			next := f.statuses[0]
			f.statuses = f.statuses[1:]
			f.status, f.open = next, false
			if next == "in_review+open" {
				f.status, f.open = "in_review", true
			}
		}
		json.NewEncoder(w).Encode(f.action())

	case r.Method == http.MethodPost && r.URL.Path == base+"/act-1/approve":
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		if f.approveError != "" {
			f.writeError(w, 409, "conflict", f.approveError)
			return
		}
		if token != approverToken || body["proposalHash"] != proposalHash || f.status != "pending_approval" {
			f.writeError(w, 422, "invalid", "bad approval: token "+token+", hash "+body["proposalHash"]+", status "+f.status)
			return
		}
		f.status = "approved"
		f.statuses = []string{"executing", "verifying", "in_review", "in_review+open"}
		json.NewEncoder(w).Encode(f.action())

	case r.Method == http.MethodPost && r.URL.Path == base+"/act-1/review":
		var body map[string]string
		json.NewDecoder(r.Body).Decode(&body)
		if token != reviewerToken || body["verdict"] != "effective" || !f.open {
			f.writeError(w, 422, "invalid", "bad review")
			return
		}
		f.statuses = []string{"closed"}
		json.NewEncoder(w).Encode(f.action())

	case r.Method == http.MethodGet && r.URL.Path == base+"/act-1/history":
		json.NewEncoder(w).Encode(map[string]any{"events": []map[string]any{
			{"time": "2026-05-01T10:00:00Z", "type": "proposed", "actor": "demo-requester", "detail": "19.99 USD -> 18.49 USD"},
			{"time": "2026-05-01T10:00:05Z", "type": "approved", "actor": "demo-approver", "detail": map[string]string{"proposalHash": proposalHash}},
		}})

	default:
		f.writeError(w, 404, "not_found", "no route "+r.Method+" "+r.URL.Path)
	}
}

func writeEnv(t *testing.T, api string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.env")
	err := devstack.WriteDemoEnv(path, devstack.DemoEnv{
		API: api, Tenant: "demo",
		RequesterToken: requesterToken, ApproverToken: approverToken, ReviewerToken: reviewerToken,
		SellerID: "A1EXAMPLESELLER", MarketplaceID: "ATVPDKIKX0DER", SKU: "DEMO-SKU-001",
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func runAgainst(t *testing.T, api *fakeAPI) (Result, string, error) {
	t.Helper()
	server := httptest.NewServer(api)
	defer server.Close()

	var out bytes.Buffer
	result, err := Run(context.Background(), Options{
		EnvFile:      writeEnv(t, server.URL),
		Price:        money.MustParse("18.49", "USD"),
		Out:          &out,
		PollInterval: time.Millisecond,
		WaitTimeout:  10 * time.Second,
	})
	return result, out.String(), err
}

func TestRunDrivesLifecycleToClosed(t *testing.T) {
	api := newFakeAPI(t)

	result, out, err := runAgainst(t, api)
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out)
	}

	if result != (Result{ActionID: "act-1", Status: "closed"}) {
		t.Errorf("Result = %+v, want act-1 closed", result)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "action act-1: closed" {
		t.Errorf("last line = %q, want %q", last, "action act-1: closed")
	}
	for _, want := range []string{"[1/6]", "[3/6] approver approves proposal " + proposalHash, "status executing", "status verifying", "review window opens at", "[5/6] reviewer records verdict effective", "Final state:", "History:", "19.99 USD -> 18.49 USD"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}

	params, _ := api.proposed["params"].(map[string]any)
	price, _ := params["price"].(map[string]any)
	if api.proposed["kind"] != "listing.price.set" || params["sku"] != "DEMO-SKU-001" || price["amount"] != "18.49" || price["currency"] != "USD" {
		t.Errorf("proposal body = %v, want listing.price.set of DEMO-SKU-001 to 18.49 USD", api.proposed)
	}
	if !strings.HasPrefix(api.key, "demo-") {
		t.Errorf("Idempotency-Key = %q, want a generated demo key", api.key)
	}
}

func TestRunReportsAPIErrorMessage(t *testing.T) {
	api := newFakeAPI(t)
	api.approveError = "proposal hash sha256:old does not match the current proposal: read the action again"

	result, out, err := runAgainst(t, api)
	if err == nil {
		t.Fatalf("Run succeeded, want the approve error\noutput:\n%s", out)
	}
	if !strings.Contains(err.Error(), api.approveError) || !strings.Contains(err.Error(), "409") {
		t.Errorf("error %q does not carry the API's status and message", err)
	}
	if result.ActionID != "act-1" {
		t.Errorf("Result.ActionID = %q, want act-1 so the caller can name it", result.ActionID)
	}
}

func TestRunFailsOnUnexpectedEndStatus(t *testing.T) {
	api := newFakeAPI(t)
	api.afterProposal = []string{"proposed", "blocked"}

	_, out, err := runAgainst(t, api)
	if err == nil {
		t.Fatalf("Run succeeded on a blocked action\noutput:\n%s", out)
	}
	if !strings.Contains(err.Error(), "ended as blocked") {
		t.Errorf("error %q does not say the action ended as blocked", err)
	}
	if !strings.HasSuffix(out, "action act-1: blocked (the demo failed)\n") {
		t.Errorf("output does not end with the action and its status:\n%s", out)
	}
}

func TestRunTimesOutWaiting(t *testing.T) {
	api := newFakeAPI(t)
	api.afterProposal = []string{"proposed"}
	server := httptest.NewServer(api)
	defer server.Close()

	_, err := Run(context.Background(), Options{
		EnvFile:      writeEnv(t, server.URL),
		Price:        money.MustParse("18.49", "USD"),
		PollInterval: time.Millisecond,
		WaitTimeout:  50 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "no pending_approval within") || !strings.Contains(err.Error(), `"proposed"`) {
		t.Errorf("Run on a stuck action error = %v, want a timeout naming the last status", err)
	}
}

func TestRunRequiresDemoEnvAndPrice(t *testing.T) {
	_, err := Run(context.Background(), Options{EnvFile: filepath.Join(t.TempDir(), "demo.env"), Price: money.MustParse("1.00", "USD")})
	if err == nil || !strings.Contains(err.Error(), "make run") {
		t.Errorf("Run without demo.env error = %v, want one that says to start `make run`", err)
	}

	_, err = Run(context.Background(), Options{EnvFile: writeEnv(t, "http://127.0.0.1:1")})
	if err == nil || !strings.Contains(err.Error(), "price is missing") {
		t.Errorf("Run without a price error = %v, want one that says the price is missing", err)
	}
}

func TestRunReportsUnreachableAPI(t *testing.T) {
	server := httptest.NewServer(http.NotFoundHandler())
	url := server.URL
	server.Close()

	_, err := Run(context.Background(), Options{EnvFile: writeEnv(t, url), Price: money.MustParse("18.49", "USD")})
	if err == nil || !strings.Contains(err.Error(), "make run") {
		t.Errorf("Run against a closed API error = %v, want one that asks whether `make run` is running", err)
	}
}
