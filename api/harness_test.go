package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/noterp/noterp/api"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
)

const (
	tenant   = "acme"
	sellerID = "A1EXAMPLESELLER"
	usMarket = "ATVPDKIKX0DER"
	jpMarket = "A1VC38T7YXB528"
)

// harness is an API server on a fresh database with a fake Temporal.
type harness struct {
	t        *testing.T
	store    *store.Store
	temporal *fakeTemporal
	handler  http.Handler
	logs     *observer.ObservedLogs
	// tokens maps a user of tenant acme to its token. Each user holds the
	// roles in its name: requester, requester2, approver, reviewer, admin,
	// auditor and requester-approver.
	tokens map[string]string
	// otherToken is a requester token of tenant globex.
	otherToken string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	fake := &fakeTemporal{}
	h := newHarnessWithClient(t, fake)
	h.temporal = fake
	return h
}

// newHarnessWithClient builds a harness whose server uses temporalClient.
func newHarnessWithClient(t *testing.T, temporalClient client.Client) *harness {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.Postgres(t), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)

	h := &harness{t: t, store: s, tokens: map[string]string{}}
	users := map[string][]string{
		"requester": {"requester"}, "requester2": {"requester"}, "approver": {"approver"}, "reviewer": {"reviewer"},
		"admin": {"admin"}, "auditor": {"auditor"}, "requester-approver": {"requester", "approver"},
	}
	for user, roles := range users {
		if err := s.CreateUser(ctx, tenant, user, roles); err != nil {
			t.Fatalf("CreateUser %s: %v", user, err)
		}
		token, err := s.IssueToken(ctx, tenant, user, "test")
		if err != nil {
			t.Fatalf("IssueToken %s: %v", user, err)
		}
		h.tokens[user] = token
	}
	if err := s.CreateUser(ctx, "globex", "requester", []string{"requester"}); err != nil {
		t.Fatalf("CreateUser globex: %v", err)
	}
	other, err := s.IssueToken(ctx, "globex", "requester", "test")
	if err != nil {
		t.Fatalf("IssueToken globex: %v", err)
	}
	h.otherToken = other
	for _, tn := range []string{tenant, "globex"} {
		err := s.PutSellerConnection(ctx, store.SellerConnection{Tenant: tn, SellerID: sellerID, Region: "na", MarketplaceIDs: []string{usMarket, jpMarket}})
		if err != nil {
			t.Fatalf("PutSellerConnection %s: %v", tn, err)
		}
	}

	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	server, err := api.New(api.Config{Store: s, Temporal: temporalClient, Logger: zap.New(core), UpdateTimeout: time.Second})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	h.handler = server.Handler()
	return h
}

// do sends a request; headers are name/value pairs.
func (h *harness) do(method, path, token, body string, headers ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// createAction posts a price action as the requester with key.
func (h *harness) createAction(key, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(http.MethodPost, "/v1/tenants/acme/actions", h.tokens["requester"], body, api.HeaderIdempotencyKey, key)
}

// mustCreate creates an action and returns its id.
func (h *harness) mustCreate(key string) string {
	h.t.Helper()
	rec := h.createAction(key, priceBody("19.99"))
	if rec.Code != http.StatusCreated {
		h.t.Fatalf("create action: status %d, body %s", rec.Code, rec.Body)
	}
	var row store.ActionRow
	decode(h.t, rec, &row)
	return row.ID
}

func priceBody(amount string) string {
	return `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"ATVPDKIKX0DER","sku":"DEMO-SKU-001","price":{"amount":"` + amount + `","currency":"USD"}},"reason":"match competitor"}`
}

type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode response %q: %v", rec.Body, err)
	}
}

// wantError checks the status, the code and that the message contains each
// of parts.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string, parts ...string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	var body errorBody
	decode(t, rec, &body)
	if body.Error.Code != code {
		t.Errorf("code = %q, want %q (message %q)", body.Error.Code, code, body.Error.Message)
	}
	for _, part := range parts {
		if !strings.Contains(body.Error.Message, part) {
			t.Errorf("message %q does not contain %q", body.Error.Message, part)
		}
	}
}

func fmtValue(v any) string { return strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " ")) }

func timeNow() time.Time { return time.Now() }
