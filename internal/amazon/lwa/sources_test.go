package lwa

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	testClientID     = "amzn1.application-oa2-client.test"
	testClientSecret = "client-secret-must-not-leak"
	testRefreshA     = "Atzr|refresh-seller-a-must-not-leak"
	testRefreshB     = "Atzr|refresh-seller-b-must-not-leak"
)

// refreshTokenMap is a RefreshTokens backed by a map.
type refreshTokenMap map[string]string

func (m refreshTokenMap) RefreshToken(_ context.Context, sellerID string) (string, error) {
	token, ok := m[sellerID]
	if !ok {
		return "", fmt.Errorf("no refresh token stored for seller %s", sellerID)
	}
	return token, nil
}

// fakeLWA is a token endpoint on loopback that records every request.
type fakeLWA struct {
	server *httptest.Server
	posts  atomic.Int64

	mu       sync.Mutex
	requests []recordedTokenRequest
	// answer returns the status and body for a request; nil responds with a
	// fresh access token for every known refresh token.
	answer func(form map[string]string) (int, string)
}

type recordedTokenRequest struct {
	method, contentType, authorization string
	form                               map[string]string
}

func newFakeLWA(t *testing.T) *fakeLWA {
	t.Helper()
	f := &fakeLWA{}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeLWA) serve(w http.ResponseWriter, r *http.Request) {
	n := f.posts.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := map[string]string{}
	for key := range r.PostForm {
		form[key] = r.PostForm.Get(key)
	}

	f.mu.Lock()
	f.requests = append(f.requests, recordedTokenRequest{
		method:        r.Method,
		contentType:   r.Header.Get("Content-Type"),
		authorization: r.Header.Get("Authorization"),
		form:          form,
	})
	answer := f.answer
	f.mu.Unlock()

	status, body := http.StatusOK, fmt.Sprintf(`{"access_token":"Atza|access-%d-must-not-leak","token_type":"bearer","expires_in":3600,"refresh_token":%q}`, n, form["refresh_token"])
	if answer != nil {
		status, body = answer(form)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakeLWA) setAnswer(answer func(form map[string]string) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = answer
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestSources(t *testing.T, lwa *fakeLWA, clock *fakeClock, logger *zap.Logger) *Sources {
	t.Helper()
	cfg := Config{TokenURL: lwa.server.URL + "/auth/o2/token", ClientID: testClientID, ClientSecret: testClientSecret}
	if clock != nil {
		cfg.Now = clock.Now
	}
	sources, err := NewSources(cfg, refreshTokenMap{"A1SELLERA": testRefreshA, "A1SELLERB": testRefreshB}, logger)
	if err != nil {
		t.Fatalf("NewSources: %v", err)
	}
	return sources
}

func TestRefreshSendsOneFormPostWithoutBasicAuth(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)

	token, err := sources.AccessToken(context.Background(), "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	if !strings.HasPrefix(token, "Atza|") {
		t.Errorf("token = %q, want the access_token of the response", token)
	}

	if got := lwa.posts.Load(); got != 1 {
		t.Fatalf("token POSTs = %d, want 1", got)
	}
	req := lwa.requests[0]
	if req.method != http.MethodPost {
		t.Errorf("method = %s, want POST", req.method)
	}
	if !strings.HasPrefix(req.contentType, "application/x-www-form-urlencoded") {
		t.Errorf("content type = %q, want form encoding", req.contentType)
	}
	if req.authorization != "" {
		t.Errorf("Authorization header = %q, want none: credentials belong in the form", req.authorization)
	}
	want := map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": testRefreshA,
		"client_id":     testClientID,
		"client_secret": testClientSecret,
	}
	for key, value := range want {
		if req.form[key] != value {
			t.Errorf("form field %s = %q, want %q", key, req.form[key], value)
		}
	}
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)

	const callers = 20
	start := make(chan struct{})
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tokens[i], errs[i] = sources.AccessToken(context.Background(), "A1SELLERA")
		}()
	}
	close(start)
	wg.Wait()

	if got := lwa.posts.Load(); got != 1 {
		t.Errorf("token POSTs = %d, want 1 for %d concurrent callers", got, callers)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: %v", i, errs[i])
		}
		if tokens[i] != tokens[0] {
			t.Errorf("caller %d got token %q, want the shared %q", i, tokens[i], tokens[0])
		}
	}
}

func TestCachedTokenRefreshesBeforeExpiry(t *testing.T) {
	lwa := newFakeLWA(t)
	clock := &fakeClock{now: time.Now()}
	sources := newTestSources(t, lwa, clock, nil)
	ctx := context.Background()

	first, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}

	// 58 minutes in, the token has more than the 60-second margin left.
	clock.Advance(58 * time.Minute)
	second, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken at 58 min: %v", err)
	}
	if second != first || lwa.posts.Load() != 1 {
		t.Errorf("at 58 min: token %q after %d POSTs, want cached %q after 1", second, lwa.posts.Load(), first)
	}

	// 59.5 minutes in, the token is inside the margin and must be refreshed
	// rather than sent to Amazon and refused as expired.
	clock.Advance(90 * time.Second)
	third, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken at 59.5 min: %v", err)
	}
	if third == first {
		t.Errorf("at 59.5 min: token %q reused, want a refreshed token", third)
	}
	if got := lwa.posts.Load(); got != 2 {
		t.Errorf("token POSTs = %d, want 2", got)
	}
}

func TestInvalidateForcesRefresh(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)
	ctx := context.Background()

	first, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	sources.Invalidate("A1SELLERA")
	second, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken after Invalidate: %v", err)
	}

	if second == first {
		t.Errorf("token after Invalidate = %q, want a new one", second)
	}
	if got := lwa.posts.Load(); got != 2 {
		t.Errorf("token POSTs = %d, want 2", got)
	}
}

func TestInvalidGrantIsRevokedForThatSellerOnly(t *testing.T) {
	lwa := newFakeLWA(t)
	lwa.setAnswer(func(form map[string]string) (int, string) {
		if form["refresh_token"] == testRefreshA {
			return http.StatusBadRequest, `{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission."}`
		}
		return http.StatusOK, `{"access_token":"Atza|seller-b","token_type":"bearer","expires_in":3600}`
	})
	sources := newTestSources(t, lwa, nil, nil)
	ctx := context.Background()

	_, err := sources.AccessToken(ctx, "A1SELLERA")
	if !errors.Is(err, ErrAuthorizationRevoked) {
		t.Fatalf("error = %v, want ErrAuthorizationRevoked", err)
	}
	if errors.Is(err, ErrClientRejected) {
		t.Errorf("error %v matches ErrClientRejected, want only ErrAuthorizationRevoked", err)
	}
	if IsRetryable(err) {
		t.Errorf("invalid_grant is retryable, want non-retryable")
	}
	var lwaErr *Error
	if !errors.As(err, &lwaErr) || lwaErr.StatusCode != http.StatusBadRequest || lwaErr.SellerID != "A1SELLERA" {
		t.Errorf("error = %#v, want *Error with status 400 for seller A1SELLERA", err)
	}
	if got := lwa.posts.Load(); got != 1 {
		t.Errorf("token POSTs = %d, want exactly 1 per call", got)
	}

	token, err := sources.AccessToken(ctx, "A1SELLERB")
	if err != nil || token != "Atza|seller-b" {
		t.Errorf("seller B: token %q, error %v; want its own token", token, err)
	}
}

func TestInvalidClientIsAppWide(t *testing.T) {
	lwa := newFakeLWA(t)
	lwa.setAnswer(func(map[string]string) (int, string) {
		return http.StatusUnauthorized, `{"error":"invalid_client","error_description":"Client authentication failed"}`
	})
	sources := newTestSources(t, lwa, nil, nil)

	_, err := sources.AccessToken(context.Background(), "A1SELLERA")

	if !errors.Is(err, ErrClientRejected) {
		t.Fatalf("error = %v, want ErrClientRejected", err)
	}
	if errors.Is(err, ErrAuthorizationRevoked) {
		t.Errorf("error %v matches ErrAuthorizationRevoked, want a client fault, not a seller fault", err)
	}
	if IsRetryable(err) {
		t.Errorf("invalid_client is retryable, want non-retryable")
	}
}

func TestTransientRefreshFailuresAreRetryable(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
	}{
		{"throttled", http.StatusTooManyRequests, `{"error":"too_many_requests"}`},
		{"server error", http.StatusInternalServerError, `{"error":"server_error","error_description":"internal failure"}`},
		{"unavailable with html body", http.StatusServiceUnavailable, `<html>Service Unavailable</html>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lwa := newFakeLWA(t)
			lwa.setAnswer(func(map[string]string) (int, string) { return tc.status, tc.body })
			sources := newTestSources(t, lwa, nil, nil)

			_, err := sources.AccessToken(context.Background(), "A1SELLERA")

			if err == nil {
				t.Fatal("error = nil, want a refresh failure")
			}
			if !IsRetryable(err) {
				t.Errorf("error %v is not retryable, want retryable", err)
			}
			if errors.Is(err, ErrAuthorizationRevoked) || errors.Is(err, ErrClientRejected) {
				t.Errorf("error %v matches a credential sentinel, want neither", err)
			}
		})
	}
}

func TestNetworkFailureIsRetryable(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)
	lwa.server.Close()

	_, err := sources.AccessToken(context.Background(), "A1SELLERA")

	if err == nil || !IsRetryable(err) {
		t.Errorf("error = %v, want a retryable network failure", err)
	}
	if errors.Is(err, ErrAuthorizationRevoked) {
		t.Errorf("network failure matches ErrAuthorizationRevoked")
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)

	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, logger)
	ctx := context.Background()

	// A success, an invalidation, a rejected refresh and a network failure.
	var errs []error
	access, err := sources.AccessToken(ctx, "A1SELLERA")
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	sources.Invalidate("A1SELLERA")
	lwa.setAnswer(func(map[string]string) (int, string) {
		return http.StatusBadRequest, `{"error":"invalid_request","error_description":"bad request"}`
	})
	_, err = sources.AccessToken(ctx, "A1SELLERA")
	errs = append(errs, err)
	lwa.server.Close()
	_, err = sources.AccessToken(ctx, "A1SELLERB")
	errs = append(errs, err)

	secrets := []string{testClientSecret, testRefreshA, testRefreshB, access}
	for _, err := range errs {
		if err == nil {
			t.Fatal("error = nil, want a refresh failure")
		}
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
				t.Errorf("error %q contains secret %q", err, secret)
			}
		}
	}
	if logs.Len() == 0 {
		t.Fatal("no log entries, want refresh and failure entries")
	}
	for _, entry := range logs.All() {
		line := entry.Message + fmt.Sprint(entry.ContextMap())
		for _, secret := range secrets {
			if strings.Contains(line, secret) {
				t.Errorf("log entry %q contains secret %q", line, secret)
			}
		}
	}
}

func TestWaitingCallerStopsWhenContextEnds(t *testing.T) {
	release := make(chan struct{})
	lwa := newFakeLWA(t)
	lwa.setAnswer(func(map[string]string) (int, string) {
		<-release
		return http.StatusOK, `{"access_token":"Atza|late","token_type":"bearer","expires_in":3600}`
	})
	sources := newTestSources(t, lwa, nil, nil)

	firstDone := make(chan error, 1)
	go func() {
		_, err := sources.AccessToken(context.Background(), "A1SELLERA")
		firstDone <- err
	}()
	for lwa.posts.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := sources.AccessToken(ctx, "A1SELLERA")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("waiting caller error = %v, want context.Canceled", err)
	}

	close(release)
	if err := <-firstDone; err != nil {
		t.Errorf("refreshing caller: %v", err)
	}
}

func TestNewSourcesRejectsBadConfig(t *testing.T) {
	tokens := refreshTokenMap{}
	cases := []struct {
		name   string
		cfg    Config
		tokens RefreshTokens
		want   string
	}{
		{"missing client id", Config{ClientSecret: "s"}, tokens, "client id is missing"},
		{"missing client secret", Config{ClientID: "c"}, tokens, "client secret is missing"},
		{"missing store", Config{ClientID: "c", ClientSecret: "s"}, nil, "refresh token store is missing"},
		{"relative token URL", Config{ClientID: "c", ClientSecret: "s", TokenURL: "/auth/o2/token"}, tokens, "token URL"},
		{"negative early expiry", Config{ClientID: "c", ClientSecret: "s", EarlyExpiry: -time.Second}, tokens, "negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSources(tc.cfg, tc.tokens, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAccessTokenRejectsEmptySeller(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)

	_, err := sources.AccessToken(context.Background(), "")

	if err == nil {
		t.Error("error = nil, want an error for an empty seller id")
	}
	if got := lwa.posts.Load(); got != 0 {
		t.Errorf("token POSTs = %d, want 0", got)
	}
}

func TestMissingRefreshTokenIsReported(t *testing.T) {
	lwa := newFakeLWA(t)
	sources := newTestSources(t, lwa, nil, nil)

	_, err := sources.AccessToken(context.Background(), "A1UNKNOWN")

	if err == nil || !strings.Contains(err.Error(), "A1UNKNOWN") {
		t.Errorf("error = %v, want one naming seller A1UNKNOWN", err)
	}
	if got := lwa.posts.Load(); got != 0 {
		t.Errorf("token POSTs = %d, want 0", got)
	}
}
