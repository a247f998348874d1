package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestAuthMissingToken(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions", "", "")
	wantError(t, rec, http.StatusUnauthorized, "unauthenticated", "Authorization header is missing")
	if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
	}
}

func TestAuthNotBearer(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions", "", "", "Authorization", "Basic YWxpY2U6cHc=")
	wantError(t, rec, http.StatusUnauthorized, "unauthenticated", "not a bearer token")
}

func TestAuthUnknownTokenIsNotEchoed(t *testing.T) {
	h := newHarness(t)
	const guess = "ntk_guessed-token-value"
	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions", guess, "")
	wantError(t, rec, http.StatusUnauthorized, "unauthenticated", "invalid or revoked")
	if strings.Contains(rec.Body.String(), guess) {
		t.Errorf("response contains the token: %s", rec.Body)
	}
}

func TestAuthRevokedToken(t *testing.T) {
	h := newHarness(t)
	if err := h.store.RevokeToken(context.Background(), tenant, h.tokens["auditor"]); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions", h.tokens["auditor"], "")
	wantError(t, rec, http.StatusUnauthorized, "unauthenticated", "invalid or revoked")
}

func TestAuthOtherTenantLooksMissing(t *testing.T) {
	h := newHarness(t)
	forOther := h.do(http.MethodGet, "/v1/tenants/acme/actions", h.otherToken, "")
	wantError(t, forOther, http.StatusNotFound, "not_found", `tenant "acme"`)

	forNobody := h.do(http.MethodGet, "/v1/tenants/nobody/actions", h.otherToken, "")
	wantError(t, forNobody, http.StatusNotFound, "not_found", `tenant "nobody"`)
}

func TestAuthWrongRole(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions", h.tokens["approver"], priceBody("19.99"), "Idempotency-Key", "k1")
	wantError(t, rec, http.StatusForbidden, "forbidden", "approver", "requester")
	if len(h.temporal.startCalls()) != 0 {
		t.Error("a forbidden request started a workflow")
	}
}

func TestLogsNeverContainTokens(t *testing.T) {
	h := newHarness(t)
	h.do(http.MethodGet, "/v1/tenants/acme/actions", h.tokens["auditor"], "")
	h.do(http.MethodGet, "/v1/tenants/acme/actions", "ntk_wrong-token", "")
	h.mustCreate("log-check")

	if h.logs.Len() == 0 {
		t.Fatal("no log lines written")
	}
	for _, entry := range h.logs.All() {
		line := entry.Message
		for k, v := range entry.ContextMap() {
			line += " " + k + "=" + strings.TrimSpace(fmtValue(v))
		}
		for _, secret := range []string{h.tokens["auditor"], h.tokens["requester"], "ntk_wrong-token"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line contains a token: %s", line)
			}
		}
	}
	access := h.logs.FilterMessage("request").All()
	if len(access) != 3 {
		t.Errorf("access log lines = %d, want one per request (3)", len(access))
	}
}

func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	h := newHarness(t)

	for _, path := range []string{"/v1/tenants/acme/actions", "/v1/tenants/acme/actions/act_1/approve"} {
		rec := h.do(http.MethodDelete, path, h.tokens["requester"], "")
		wantError(t, rec, http.StatusMethodNotAllowed, "method_not_allowed")
	}
}
