// Package lwa gets Login with Amazon (LWA) access tokens for Selling Partner
// API calls. It exchanges each seller's refresh token for an access token
// with the refresh-token grant, caches the access token until shortly before
// it expires, and lets every goroutine of the process share that one token.
//
// Refresh failures come back as *Error. Two classes need different handling:
//
//	errors.Is(err, ErrAuthorizationRevoked) // invalid_grant: this seller must authorize again
//	errors.Is(err, ErrClientRejected)       // invalid_client: the application's credentials are wrong, for every seller
//
// Network failures, HTTP 429 and HTTP 5xx are retryable (see IsRetryable) and
// match neither sentinel.
package lwa

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// DefaultTokenURL is the LWA token endpoint for SP-API in every region.
const DefaultTokenURL = "https://api.amazon.com/auth/o2/token"

// DefaultEarlyExpiry is how long before its expiry a cached access token is
// refreshed. Amazon's own Java client uses 60 seconds.
const DefaultEarlyExpiry = 60 * time.Second

// accessTokenLifetime is the lifetime Amazon documents for access tokens. It
// is used only when a token response lacks expires_in.
const accessTokenLifetime = time.Hour

// Config configures Sources.
type Config struct {
	// TokenURL is the LWA token endpoint. Optional; the default is DefaultTokenURL.
	TokenURL string
	// ClientID is the application's LWA client id. Required.
	ClientID string
	// ClientSecret is the application's LWA client secret. Required.
	ClientSecret string
	// HTTPClient sends the token requests. Optional; the default is a client
	// with a 30-second timeout.
	HTTPClient *http.Client
	// EarlyExpiry is how long before expires_in runs out a cached token is
	// refreshed. Optional; the default is DefaultEarlyExpiry. Must not be negative.
	EarlyExpiry time.Duration
	// Now returns the current time. Optional; the default is time.Now. Tests
	// use it to age cached tokens.
	Now func() time.Time
}

// RefreshTokens looks up a seller's LWA refresh token (a secret store in
// production).
type RefreshTokens interface {
	RefreshToken(ctx context.Context, sellerID string) (string, error)
}

// Sources hands out LWA access tokens per seller. It keeps one cached token
// per seller and refreshes it with a single token request even when many
// goroutines ask at once. A Sources is safe for concurrent use and should
// live as long as the process.
type Sources struct {
	oauth       oauth2.Config
	httpClient  *http.Client
	earlyExpiry time.Duration
	now         func() time.Time
	tokens      RefreshTokens
	logger      *zap.Logger

	mu      sync.Mutex
	sellers map[string]*sellerToken
}

// sellerToken is the cached access token of one seller.
type sellerToken struct {
	// refreshing is a one-slot semaphore held while a refresh runs, so that
	// concurrent callers wait for that refresh instead of starting their own.
	// A channel rather than a mutex lets a waiting caller give up when its
	// context ends.
	refreshing chan struct{}

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// NewSources checks cfg and returns Sources that read refresh tokens from
// tokens. A nil logger logs nothing.
func NewSources(cfg Config, tokens RefreshTokens, logger *zap.Logger) (*Sources, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("lwa: client id is missing: set the application's LWA client id")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("lwa: client secret is missing: set the application's LWA client secret")
	}
	if tokens == nil {
		return nil, errors.New("lwa: refresh token store is missing")
	}
	if cfg.EarlyExpiry < 0 {
		return nil, fmt.Errorf("lwa: early expiry %s is negative: use 0 for the default of %s", cfg.EarlyExpiry, DefaultEarlyExpiry)
	}

	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = DefaultTokenURL
	}
	parsed, err := url.Parse(tokenURL)
	if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return nil, fmt.Errorf("lwa: token URL %q is invalid: use an absolute URL such as %s", tokenURL, DefaultTokenURL)
	}

	s := &Sources{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			// AuthStyleInParams sends the client credentials as form fields
			// in exactly one request. The auto-detected style would try a
			// Basic header first and retry with form fields, which hides
			// the first error and doubles every failed refresh.
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		httpClient:  cfg.HTTPClient,
		earlyExpiry: cfg.EarlyExpiry,
		now:         cfg.Now,
		tokens:      tokens,
		logger:      logger,
		sellers:     make(map[string]*sellerToken),
	}
	if s.httpClient == nil {
		s.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if s.earlyExpiry == 0 {
		s.earlyExpiry = DefaultEarlyExpiry
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = zap.NewNop()
	}
	return s, nil
}

// AccessToken returns a valid access token for sellerID. It returns the
// cached token while it is valid for longer than the early expiry, and
// otherwise refreshes it. Concurrent callers for one seller share a single
// refresh; a caller whose ctx ends while waiting gets ctx's error.
func (s *Sources) AccessToken(ctx context.Context, sellerID string) (string, error) {
	if sellerID == "" {
		return "", errors.New("lwa: seller id is empty")
	}

	cached := s.seller(sellerID)
	if token, ok := cached.valid(s.now(), s.earlyExpiry); ok {
		return token, nil
	}

	select {
	case cached.refreshing <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("lwa: wait for access token refresh of seller %s: %w", sellerID, ctx.Err())
	}
	defer func() { <-cached.refreshing }()

	// Another caller may have refreshed the token while this one waited.
	if token, ok := cached.valid(s.now(), s.earlyExpiry); ok {
		return token, nil
	}

	return s.refresh(ctx, sellerID, cached)
}

// Invalidate drops the cached access token of sellerID, so that the next
// AccessToken call refreshes it. Call it when Amazon responds that the token
// expired or is invalid.
func (s *Sources) Invalidate(sellerID string) {
	cached := s.seller(sellerID)

	cached.mu.Lock()
	cached.token = ""
	cached.expiry = time.Time{}
	cached.mu.Unlock()

	s.logger.Debug("LWA access token invalidated", zap.String("seller_id", sellerID))
}

// seller returns the cache entry of sellerID, creating it on first use.
func (s *Sources) seller(sellerID string) *sellerToken {
	s.mu.Lock()
	defer s.mu.Unlock()

	cached, ok := s.sellers[sellerID]
	if !ok {
		cached = &sellerToken{refreshing: make(chan struct{}, 1)}
		s.sellers[sellerID] = cached
	}
	return cached
}

// valid returns the cached token if it stays valid for longer than early.
func (c *sellerToken) valid(now time.Time, early time.Duration) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.token == "" || !now.Before(c.expiry.Add(-early)) {
		return "", false
	}
	return c.token, true
}

// refresh runs one refresh-token grant for sellerID and caches the result.
func (s *Sources) refresh(ctx context.Context, sellerID string, cached *sellerToken) (string, error) {
	refreshToken, err := s.tokens.RefreshToken(ctx, sellerID)
	if err != nil {
		return "", fmt.Errorf("lwa: look up refresh token of seller %s: %w", sellerID, err)
	}
	if refreshToken == "" {
		return "", fmt.Errorf("lwa: refresh token of seller %s is empty: authorize the seller again", sellerID)
	}

	started := s.now()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.httpClient)
	token, err := s.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		refreshErr := classify(sellerID, err)
		s.logger.Warn("LWA access token refresh failed",
			zap.String("seller_id", sellerID),
			zap.Int("status", refreshErr.StatusCode),
			zap.String("lwa_error", refreshErr.Code),
			zap.Bool("retryable", refreshErr.Retryable()))
		return "", refreshErr
	}

	// x/oauth2 computes Expiry from expires_in with the wall clock; the
	// lifetime is rebased onto s.now so that an injected clock ages it.
	expiry := started.Add(accessTokenLifetime)
	if !token.Expiry.IsZero() {
		expiry = started.Add(time.Until(token.Expiry))
	}

	cached.mu.Lock()
	cached.token = token.AccessToken
	cached.expiry = expiry
	cached.mu.Unlock()

	s.logger.Debug("LWA access token refreshed",
		zap.String("seller_id", sellerID),
		zap.Time("expires_at", expiry))
	return token.AccessToken, nil
}

// classify turns an x/oauth2 error into an *Error. It copies only the status
// and the OAuth 2 error fields, never the response body, so that nothing
// the token endpoint echoed can reach a log.
func classify(sellerID string, err error) *Error {
	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) && retrieveErr.Response != nil {
		return &Error{
			SellerID:    sellerID,
			StatusCode:  retrieveErr.Response.StatusCode,
			Code:        retrieveErr.ErrorCode,
			Description: retrieveErr.ErrorDescription,
		}
	}
	return &Error{SellerID: sellerID, Err: err}
}
