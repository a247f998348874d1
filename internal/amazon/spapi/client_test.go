package spapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazonsim"
)

// simEnv is a seeded simulator with a client that gets real tokens from it.
type simEnv struct {
	sim    *amazonsim.Server
	server *httptest.Server
	client *Client
	tokens *lwa.Sources
	demo   amazonsim.Demo
	logs   *observer.ObservedLogs
}

type refreshTokenMap map[string]string

func (m refreshTokenMap) RefreshToken(_ context.Context, sellerID string) (string, error) {
	if token, ok := m[sellerID]; ok {
		return token, nil
	}
	return "", fmt.Errorf("no refresh token for seller %s", sellerID)
}

func newSimEnv(t *testing.T) *simEnv {
	t.Helper()
	env := &simEnv{sim: amazonsim.New(amazonsim.Config{ApplyDelay: -1})}
	env.demo = env.sim.SeedDemo()
	env.server = httptest.NewServer(env.sim.Handler())
	t.Cleanup(env.server.Close)

	tokens, err := lwa.NewSources(lwa.Config{
		TokenURL:     env.server.URL + "/auth/o2/token",
		ClientID:     env.demo.ClientID,
		ClientSecret: env.demo.ClientSecret,
	}, refreshTokenMap{env.demo.SellerID: env.demo.RefreshToken}, nil)
	if err != nil {
		t.Fatalf("lwa.NewSources: %v", err)
	}
	env.tokens = tokens

	core, logs := observer.New(zapcore.DebugLevel)
	env.logs = logs
	client, err := New(Config{Endpoint: env.server.URL, AppName: "NotERP", AppVersion: "1.0", Tokens: tokens, Logger: zap.New(core)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.client = client
	return env
}

func priceBody(amount string) PatchRequest {
	return PatchRequest{
		ProductType: "PRODUCT",
		Patches: []PatchOperation{{
			Op:    OpReplace,
			Path:  "/attributes/purchasable_offer",
			Value: json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":` + amount + `}]}]}]`),
		}},
	}
}

var us = []string{amazonsim.MarketplaceUS}

func TestGetListingsItemReadsOffers(t *testing.T) {
	env := newSimEnv(t)

	item, resp, err := env.client.GetListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, GetListingsItemOptions{
		MarketplaceIDs: us,
		IncludedData:   []string{"summaries", "attributes", "offers", "fulfillmentAvailability", "issues"},
	})
	if err != nil {
		t.Fatalf("GetListingsItem: %v", err)
	}

	if item.SKU != env.demo.SKU {
		t.Errorf("SKU = %q, want %q", item.SKU, env.demo.SKU)
	}
	if len(item.Offers) != 1 || item.Offers[0].Price != (Money{CurrencyCode: "USD", Amount: "24.99"}) {
		t.Errorf("offers = %+v, want 24.99 USD", item.Offers)
	}
	if len(item.Summaries) != 1 || item.Summaries[0].ProductType != "LUGGAGE" {
		t.Errorf("summaries = %+v, want one LUGGAGE summary", item.Summaries)
	}
	if _, ok := item.Attributes["purchasable_offer"]; !ok {
		t.Errorf("attributes lack purchasable_offer: %v", item.Attributes)
	}
	if len(item.FulfillmentAvailability) != 1 || item.FulfillmentAvailability[0].Quantity == nil || *item.FulfillmentAvailability[0].Quantity != 42 {
		t.Errorf("fulfillmentAvailability = %+v, want DEFAULT 42", item.FulfillmentAvailability)
	}
	if resp.StatusCode != http.StatusOK || resp.RequestID == "" || resp.RateLimit != 5 {
		t.Errorf("response = %+v, want 200 with a request id and rate limit 5", resp)
	}
}

func TestSpecialCharacterSKURoundTrip(t *testing.T) {
	env := newSimEnv(t)
	ctx := context.Background()

	submission, _, err := env.client.PatchListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSpecialSKU, priceBody("9.49"), PatchListingsItemOptions{MarketplaceIDs: us})
	if err != nil {
		t.Fatalf("PatchListingsItem: %v", err)
	}
	if submission.Status != StatusAccepted || submission.SKU != amazonsim.DemoSpecialSKU {
		t.Errorf("submission = %+v, want ACCEPTED for %q", submission, amazonsim.DemoSpecialSKU)
	}

	item, _, err := env.client.GetListingsItem(ctx, env.demo.SellerID, amazonsim.DemoSpecialSKU, GetListingsItemOptions{MarketplaceIDs: us, IncludedData: []string{"offers"}})
	if err != nil {
		t.Fatalf("GetListingsItem: %v", err)
	}
	if len(item.Offers) != 1 || item.Offers[0].Price.Amount != "9.49" {
		t.Errorf("offers = %+v, want 9.49", item.Offers)
	}
}

// recordingServer responds to every request with the status and body its
// callback returns and records each request.
type recordingServer struct {
	server *httptest.Server

	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	skus     []string
}

func newRecordingServer(t *testing.T, answer func(n int) (int, http.Header, string)) *recordingServer {
	t.Helper()
	rec := &recordingServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/listings/2021-08-01/items/{sellerId}/{sku}", func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, r.Clone(context.Background()))
		rec.bodies = append(rec.bodies, string(reqBody))
		rec.skus = append(rec.skus, r.PathValue("sku"))
		n := len(rec.requests)
		rec.mu.Unlock()

		status, header, body := answer(n)
		for key, values := range header {
			w.Header()[key] = values
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
	rec.server = httptest.NewServer(mux)
	t.Cleanup(rec.server.Close)
	return rec
}

// stubTokens hands out numbered tokens and counts invalidations.
type stubTokens struct {
	issued      atomic.Int64
	invalidated atomic.Int64
	err         error
}

func (s *stubTokens) AccessToken(context.Context, string) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return fmt.Sprintf("Atza|stub-%d", s.issued.Add(1)), nil
}

func (s *stubTokens) Invalidate(string) { s.invalidated.Add(1) }

func newStubClient(t *testing.T, endpoint string, tokens TokenProvider) *Client {
	t.Helper()
	client, err := New(Config{Endpoint: endpoint, AppName: "NotERP", AppVersion: "1.0", Tokens: tokens})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return client
}

const okSubmission = `{"sku":"X","status":"ACCEPTED","submissionId":"sub-1","issues":[]}`

func TestPathSegmentsArePercentEncoded(t *testing.T) {
	cases := []struct {
		sku, wantPath string
	}{
		{"HC/BRUSH#2 PINK", "HC%2FBRUSH%232%20PINK"},
		{"A/B", "A%2FB"},
		{"A#B", "A%23B"},
		{"A?B", "A%3FB"},
		{"100%", "100%25"},
		{"A&B", "A%26B"},
		{"A+B", "A%2BB"},
		{"A B", "A%20B"},
		{"A＆B", "A%EF%BC%86B"},
		{"A|B", "A%7CB"},
		{"plain-SKU_1.0~x", "plain-SKU_1.0~x"},
	}
	rec := newRecordingServer(t, func(int) (int, http.Header, string) { return 200, nil, `{"sku":"X"}` })
	client := newStubClient(t, rec.server.URL, &stubTokens{})

	for i, tc := range cases {
		t.Run(tc.sku, func(t *testing.T) {
			if _, _, err := client.GetListingsItem(context.Background(), "A1SELLER", tc.sku, GetListingsItemOptions{MarketplaceIDs: us}); err != nil {
				t.Fatalf("GetListingsItem: %v", err)
			}
			rec.mu.Lock()
			req, gotSKU := rec.requests[i], rec.skus[i]
			rec.mu.Unlock()

			wantPath := "/listings/2021-08-01/items/A1SELLER/" + tc.wantPath
			if got := req.URL.EscapedPath(); got != wantPath {
				t.Errorf("path = %s, want %s", got, wantPath)
			}
			if gotSKU != tc.sku {
				t.Errorf("server decoded SKU %q, want %q", gotSKU, tc.sku)
			}
		})
	}
}

func TestRequestHeadersAndQuery(t *testing.T) {
	rec := newRecordingServer(t, func(int) (int, http.Header, string) { return 200, nil, okSubmission })
	client := newStubClient(t, rec.server.URL, &stubTokens{})
	ctx := context.Background()

	_, _, err := client.GetListingsItem(ctx, "A1SELLER", "SKU-1", GetListingsItemOptions{
		MarketplaceIDs: []string{"ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"}, IncludedData: []string{"summaries", "offers"}, IssueLocale: "en_US",
	})
	if err != nil {
		t.Fatalf("GetListingsItem: %v", err)
	}
	_, _, err = client.PatchListingsItem(ctx, "A1SELLER", "SKU-1", priceBody("1.00"), PatchListingsItemOptions{
		MarketplaceIDs: us, IncludedData: []string{"issues", "identifiers"}, Mode: ModeValidationPreview,
	})
	if err != nil {
		t.Fatalf("PatchListingsItem: %v", err)
	}

	get, patch := rec.requests[0], rec.requests[1]
	if got := get.URL.RawQuery; got != "includedData=summaries,offers&issueLocale=en_US&marketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2" {
		t.Errorf("GET query = %s, want comma-joined lists", got)
	}
	if got := patch.URL.RawQuery; got != "includedData=issues,identifiers&marketplaceIds=ATVPDKIKX0DER&mode=VALIDATION_PREVIEW" {
		t.Errorf("PATCH query = %s", got)
	}
	userAgent := regexp.MustCompile(`^NotERP/1\.0 \(Language=Go/[^;]+; Platform=[a-z0-9]+\)$`)
	for _, req := range []*http.Request{get, patch} {
		if !strings.HasPrefix(req.Header.Get("x-amz-access-token"), "Atza|stub-") {
			t.Errorf("%s x-amz-access-token = %q, want the provider's token", req.Method, req.Header.Get("x-amz-access-token"))
		}
		if !userAgent.MatchString(req.Header.Get("User-Agent")) {
			t.Errorf("%s User-Agent = %q, want AppName/Version (Language=Go/…; Platform=…)", req.Method, req.Header.Get("User-Agent"))
		}
		if req.Header.Get("Accept") != "application/json" {
			t.Errorf("%s Accept = %q, want application/json", req.Method, req.Header.Get("Accept"))
		}
		for _, signing := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
			if req.Header.Get(signing) != "" {
				t.Errorf("%s sends %s; SP-API needs no SigV4 headers", req.Method, signing)
			}
		}
	}
	if get.Header.Get("Content-Type") != "" {
		t.Errorf("GET Content-Type = %q, want none", get.Header.Get("Content-Type"))
	}
	if patch.Header.Get("Content-Type") != "application/json" {
		t.Errorf("PATCH Content-Type = %q, want application/json", patch.Header.Get("Content-Type"))
	}
	var sent PatchRequest
	if err := json.Unmarshal([]byte(rec.bodies[1]), &sent); err != nil || sent.ProductType != "PRODUCT" || len(sent.Patches) != 1 {
		t.Errorf("PATCH body = %s (%v), want the patch request", rec.bodies[1], err)
	}
}

func TestExpiredAccessTokenRefreshesAndRetriesOnce(t *testing.T) {
	env := newSimEnv(t)
	if err := env.sim.AddFault(amazonsim.Fault{Operation: amazonsim.OperationPatchListingsItem, Kind: amazonsim.FaultExpiredToken}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	submission, resp, err := env.client.PatchListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, priceBody("26.59"), PatchListingsItemOptions{MarketplaceIDs: us})

	if err != nil {
		t.Fatalf("PatchListingsItem: %v, want success after one refresh", err)
	}
	if submission.Status != StatusAccepted || resp.StatusCode != http.StatusOK {
		t.Errorf("submission %+v, response %+v; want ACCEPTED", submission, resp)
	}
	calls := env.sim.Calls()[env.demo.SellerID]
	if calls[amazonsim.OperationPatchListingsItem] != 2 || calls[amazonsim.OperationToken] != 2 {
		t.Errorf("calls = %v, want 2 PATCHes and 2 token requests", calls)
	}
	if state, _ := env.sim.Listing(env.demo.SellerID, env.demo.SKU); state.Writes != 1 {
		t.Errorf("writes = %d, want 1", state.Writes)
	}
}

func TestSecondTokenRefusalReturnsError(t *testing.T) {
	env := newSimEnv(t)
	if err := env.sim.AddFault(amazonsim.Fault{Operation: amazonsim.OperationGetListingsItem, Kind: amazonsim.FaultExpiredToken, Count: 2}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	_, resp, err := env.client.GetListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, GetListingsItemOptions{MarketplaceIDs: us})

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Fatalf("error = %v, want *Error with 403", err)
	}
	if apiErr.Retryable() || resp.StatusCode != http.StatusForbidden {
		t.Errorf("403 retryable %v, response %+v; want non-retryable 403", apiErr.Retryable(), resp)
	}
	if got := env.sim.Calls()[env.demo.SellerID][amazonsim.OperationGetListingsItem]; got != 2 {
		t.Errorf("GET calls = %d, want exactly 2", got)
	}
	if !IsAccessTokenRejected(err) || errors.Is(err, ErrNotSent) {
		t.Errorf("IsAccessTokenRejected = %v, ErrNotSent = %v; want true, false", IsAccessTokenRejected(err), errors.Is(err, ErrNotSent))
	}
}

func TestRevokedOrInvalidTokenRetriesOnce(t *testing.T) {
	revoked := `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided is revoked, malformed or invalid."}]}`
	rec := newRecordingServer(t, func(n int) (int, http.Header, string) {
		if n == 1 {
			return 403, nil, revoked
		}
		return 200, nil, `{"sku":"SKU-1"}`
	})
	tokens := &stubTokens{}
	client := newStubClient(t, rec.server.URL, tokens)

	item, _, err := client.GetListingsItem(context.Background(), "A1SELLER", "SKU-1", GetListingsItemOptions{MarketplaceIDs: us})

	if err != nil || item.SKU != "SKU-1" {
		t.Fatalf("item %+v, error %v; want success on the retry", item, err)
	}
	if tokens.invalidated.Load() != 1 || tokens.issued.Load() != 2 {
		t.Errorf("invalidated %d, issued %d; want 1 and 2", tokens.invalidated.Load(), tokens.issued.Load())
	}
	if rec.requests[0].Header.Get("x-amz-access-token") == rec.requests[1].Header.Get("x-amz-access-token") {
		t.Errorf("retry reused the refused token")
	}
}

func TestExpiredAppSecretIsNotRetried(t *testing.T) {
	body := `{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The LWA secret token you provided has expired."}]}`
	rec := newRecordingServer(t, func(int) (int, http.Header, string) { return 403, nil, body })
	tokens := &stubTokens{}
	client := newStubClient(t, rec.server.URL, tokens)

	_, _, err := client.PatchListingsItem(context.Background(), "A1SELLER", "SKU-1", priceBody("1.00"), PatchListingsItemOptions{MarketplaceIDs: us})

	if !errors.Is(err, ErrAppCredentialsExpired) {
		t.Errorf("error = %v, want ErrAppCredentialsExpired", err)
	}
	if IsRetryable(err) {
		t.Errorf("expired app secret is retryable, want non-retryable")
	}
	if len(rec.requests) != 1 || tokens.invalidated.Load() != 0 {
		t.Errorf("requests %d, invalidations %d; want 1 and 0", len(rec.requests), tokens.invalidated.Load())
	}
}

func TestPlainForbiddenIsNotRetried(t *testing.T) {
	body := `{"errors":[{"code":"Unauthorized","message":"Access to the resource is forbidden","details":""}]}`
	rec := newRecordingServer(t, func(int) (int, http.Header, string) {
		return 403, http.Header{"X-Amzn-Errortype": {"AccessDeniedException"}}, body
	})
	client := newStubClient(t, rec.server.URL, &stubTokens{})

	_, _, err := client.GetListingsItem(context.Background(), "A1SELLER", "SKU-1", GetListingsItemOptions{MarketplaceIDs: us})

	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.ErrorType != "AccessDeniedException" {
		t.Errorf("error = %v, want *Error with x-amzn-ErrorType", err)
	}
	if errors.Is(err, ErrAppCredentialsExpired) || len(rec.requests) != 1 {
		t.Errorf("requests = %d, matches app credentials %v; want 1 and false", len(rec.requests), errors.Is(err, ErrAppCredentialsExpired))
	}
}

func TestThrottledCallIsRetryableWithDelay(t *testing.T) {
	env := newSimEnv(t)
	if err := env.sim.AddFault(amazonsim.Fault{Operation: amazonsim.OperationPatchListingsItem, Kind: amazonsim.FaultThrottle}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	_, resp, err := env.client.PatchListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, priceBody("26.59"), PatchListingsItemOptions{MarketplaceIDs: us})

	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want *Error", err)
	}
	if !IsThrottled(err) || !apiErr.Retryable() {
		t.Errorf("throttled %v, retryable %v; want both", IsThrottled(err), apiErr.Retryable())
	}
	if got := apiErr.RetryAfter(); got != time.Second {
		t.Errorf("RetryAfter = %s, want 1s (1/5 s raised to the 1 s floor)", got)
	}
	if apiErr.RequestID == "" || resp.RequestID != apiErr.RequestID || len(apiErr.Errors) != 1 || apiErr.Errors[0].Code != "QuotaExceeded" {
		t.Errorf("error = %+v, want QuotaExceeded with the request id", apiErr)
	}
	if state, _ := env.sim.Listing(env.demo.SellerID, env.demo.SKU); state.Writes != 0 {
		t.Errorf("writes = %d, want 0 after a throttled call", state.Writes)
	}
}

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		name string
		err  Error
		want time.Duration
	}{
		{"429 with header rate 0.5", Error{Operation: OperationGetListingsItem, StatusCode: 429, RateLimit: 0.5}, 2 * time.Second},
		{"429 with header rate 0.2", Error{Operation: OperationGetListingsItem, StatusCode: 429, RateLimit: 0.2}, 5 * time.Second},
		{"429 without header", Error{Operation: OperationPatchListingsItem, StatusCode: 429}, time.Second},
		{"429 unknown operation", Error{Operation: "createReport", StatusCode: 429}, time.Second},
		{"500", Error{Operation: OperationGetListingsItem, StatusCode: 500}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.RetryAfter(); got != tc.want {
				t.Errorf("RetryAfter = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestServerErrorIsRetryable(t *testing.T) {
	env := newSimEnv(t)
	if err := env.sim.AddFault(amazonsim.Fault{Operation: amazonsim.OperationGetListingsItem, Kind: amazonsim.FaultServerError}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	_, _, err := env.client.GetListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, GetListingsItemOptions{MarketplaceIDs: us})

	if !IsRetryable(err) || IsThrottled(err) {
		t.Errorf("error = %v, want retryable and not throttled", err)
	}
}

func TestMissingListingIsNotFound(t *testing.T) {
	env := newSimEnv(t)

	_, resp, err := env.client.GetListingsItem(context.Background(), env.demo.SellerID, "NO-SUCH-SKU", GetListingsItemOptions{MarketplaceIDs: us})

	if !IsNotFound(err) || IsRetryable(err) {
		t.Errorf("error = %v, want not found and not retryable", err)
	}
	if resp.StatusCode != http.StatusNotFound || resp.RateLimit != 5 {
		t.Errorf("response = %+v, want 404 with rate limit 5", resp)
	}
	if !strings.Contains(err.Error(), "NO-SUCH-SKU") || !strings.Contains(err.Error(), env.demo.SellerID) {
		t.Errorf("error %q does not name the seller and SKU", err)
	}
}

func TestInvalidSubmissionIsNotAnError(t *testing.T) {
	env := newSimEnv(t)

	submission, resp, err := env.client.PatchListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, priceBody("-1"), PatchListingsItemOptions{MarketplaceIDs: us})

	if err != nil {
		t.Fatalf("error = %v, want none for a 200 INVALID", err)
	}
	if resp.StatusCode != http.StatusOK || submission.Status != StatusInvalid || !submission.HasErrorIssue() {
		t.Errorf("submission = %+v, want INVALID with an ERROR issue", submission)
	}
	issue := submission.Issues[0]
	if issue.Code == "" || len(issue.Categories) == 0 || len(issue.AttributeNames) == 0 {
		t.Errorf("issue = %+v, want code, categories and attribute names", issue)
	}
}

func TestValidationPreviewReturnsValid(t *testing.T) {
	env := newSimEnv(t)

	submission, _, err := env.client.PatchListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, priceBody("26.59"), PatchListingsItemOptions{MarketplaceIDs: us, Mode: ModeValidationPreview, IncludedData: []string{"issues", "identifiers"}})

	if err != nil {
		t.Fatalf("PatchListingsItem: %v", err)
	}
	if submission.Status != StatusValid || len(submission.Identifiers) != 1 || submission.Identifiers[0].ASIN == "" {
		t.Errorf("submission = %+v, want VALID with an ASIN", submission)
	}
}

func TestRevokedSellerPassesLWAErrorThrough(t *testing.T) {
	env := newSimEnv(t)
	env.sim.RevokeSeller(env.demo.SellerID)

	_, _, err := env.client.GetListingsItem(context.Background(), env.demo.SellerID, env.demo.SKU, GetListingsItemOptions{MarketplaceIDs: us})

	if !errors.Is(err, lwa.ErrAuthorizationRevoked) {
		t.Errorf("error = %v, want lwa.ErrAuthorizationRevoked", err)
	}
	if got := env.sim.Calls()[env.demo.SellerID][amazonsim.OperationGetListingsItem]; got != 0 {
		t.Errorf("GET calls = %d, want 0 without a token", got)
	}
}

func TestTokenProviderErrorsPassThrough(t *testing.T) {
	rec := newRecordingServer(t, func(int) (int, http.Header, string) { return 200, nil, `{}` })
	for _, sentinel := range []error{lwa.ErrClientRejected, lwa.ErrAuthorizationRevoked} {
		client := newStubClient(t, rec.server.URL, &stubTokens{err: fmt.Errorf("refresh: %w", sentinel)})

		_, _, err := client.PatchListingsItem(context.Background(), "A1SELLER", "SKU-1", priceBody("1.00"), PatchListingsItemOptions{MarketplaceIDs: us})

		if !errors.Is(err, sentinel) {
			t.Errorf("error = %v, want it to wrap %v", err, sentinel)
		}
		if !errors.Is(err, ErrNotSent) {
			t.Errorf("error = %v, want it to wrap ErrNotSent: no request left the client", err)
		}
	}
	if len(rec.requests) != 0 {
		t.Errorf("requests = %d, want 0", len(rec.requests))
	}
}

func TestCallsAreLoggedWithoutToken(t *testing.T) {
	env := newSimEnv(t)
	ctx := context.Background()

	if _, _, err := env.client.GetListingsItem(ctx, env.demo.SellerID, env.demo.SKU, GetListingsItemOptions{MarketplaceIDs: us}); err != nil {
		t.Fatalf("GetListingsItem: %v", err)
	}
	token, err := env.tokens.AccessToken(ctx, env.demo.SellerID)
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}

	entries := env.logs.FilterMessage("SP-API call").All()
	if len(entries) != 1 {
		t.Fatalf("log entries = %d, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	for _, key := range []string{"seller_id", "sku", "operation", "status", "amazon_request_id"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("log entry lacks %s: %v", key, fields)
		}
	}
	for _, entry := range env.logs.All() {
		if strings.Contains(entry.Message+fmt.Sprint(entry.ContextMap()), token) {
			t.Errorf("log entry %q contains the access token", entry.Message)
		}
	}
}

func TestArgumentGuards(t *testing.T) {
	rec := newRecordingServer(t, func(int) (int, http.Header, string) { return 200, nil, okSubmission })
	client := newStubClient(t, rec.server.URL, &stubTokens{})
	ctx := context.Background()
	badPatch := func(mutate func(*PatchRequest)) PatchRequest {
		body := priceBody("1.00")
		mutate(&body)
		return body
	}

	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"empty seller", func() error {
			_, _, err := client.GetListingsItem(ctx, "", "SKU", GetListingsItemOptions{MarketplaceIDs: us})
			return err
		}, "seller id is empty"},
		{"empty SKU", func() error {
			_, _, err := client.GetListingsItem(ctx, "A1SELLER", "", GetListingsItemOptions{MarketplaceIDs: us})
			return err
		}, "SKU is empty"},
		{"no marketplace", func() error {
			_, _, err := client.PatchListingsItem(ctx, "A1SELLER", "SKU", priceBody("1.00"), PatchListingsItemOptions{})
			return err
		}, "no marketplace id"},
		{"bad mode", func() error {
			_, _, err := client.PatchListingsItem(ctx, "A1SELLER", "SKU", priceBody("1.00"), PatchListingsItemOptions{MarketplaceIDs: us, Mode: "DRY_RUN"})
			return err
		}, "mode \"DRY_RUN\""},
		{"no product type", func() error {
			_, _, err := client.PatchListingsItem(ctx, "A1SELLER", "SKU", badPatch(func(p *PatchRequest) { p.ProductType = "" }), PatchListingsItemOptions{MarketplaceIDs: us})
			return err
		}, "productType is empty"},
		{"no patches", func() error {
			_, _, err := client.PatchListingsItem(ctx, "A1SELLER", "SKU", badPatch(func(p *PatchRequest) { p.Patches = nil }), PatchListingsItemOptions{MarketplaceIDs: us})
			return err
		}, "patches is empty"},
		{"unknown op", func() error {
			_, _, err := client.PatchListingsItem(ctx, "A1SELLER", "SKU", badPatch(func(p *PatchRequest) { p.Patches[0].Op = "move" }), PatchListingsItemOptions{MarketplaceIDs: us})
			return err
		}, "op \"move\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if len(rec.requests) != 0 {
		t.Errorf("requests = %d, want none for invalid arguments", len(rec.requests))
	}
}

func TestEndpoint(t *testing.T) {
	cases := []struct {
		region  string
		sandbox bool
		want    string
	}{
		{"na", false, "https://sellingpartnerapi-na.amazon.com"},
		{"EU", false, "https://sellingpartnerapi-eu.amazon.com"},
		{"fe", false, "https://sellingpartnerapi-fe.amazon.com"},
		{"na", true, "https://sandbox.sellingpartnerapi-na.amazon.com"},
		{"fe", true, "https://sandbox.sellingpartnerapi-fe.amazon.com"},
	}
	for _, tc := range cases {
		got, err := Endpoint(tc.region, tc.sandbox)
		if err != nil || got != tc.want {
			t.Errorf("Endpoint(%q, %v) = %q, %v; want %q", tc.region, tc.sandbox, got, err, tc.want)
		}
	}
	if _, err := Endpoint("us-east-1", false); err == nil || !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("Endpoint(us-east-1) error = %v, want one naming the region", err)
	}
}

func TestUserAgentEscapingAndLimit(t *testing.T) {
	agent, err := userAgent(`My/Tool (beta);x=1\`, "2.0")
	if err != nil {
		t.Fatalf("userAgent: %v", err)
	}
	if !strings.HasPrefix(agent, `My\/Tool \(beta\)\;x\=1\\/2.0 (Language=Go/`) {
		t.Errorf("user agent = %q, want reserved characters escaped", agent)
	}

	if _, err := userAgent(strings.Repeat("a", 480), "1.0"); err == nil {
		t.Errorf("userAgent with a 480-character name = nil error, want the 500-character limit")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing endpoint", Config{Tokens: &stubTokens{}}, "endpoint is missing"},
		{"relative endpoint", Config{Endpoint: "sellingpartnerapi-na.amazon.com", Tokens: &stubTokens{}}, "is invalid"},
		{"missing tokens", Config{Endpoint: "https://sellingpartnerapi-na.amazon.com"}, "token provider is missing"},
		{"long app name", Config{Endpoint: "https://sellingpartnerapi-na.amazon.com", Tokens: &stubTokens{}, AppName: strings.Repeat("x", 600)}, "500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
