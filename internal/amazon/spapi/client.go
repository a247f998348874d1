// Package spapi is a client for the Selling Partner API operations NotERP
// uses: getListingsItem and patchListingsItem of the Listings Items API
// 2021-08-01.
//
// Every call takes an LWA access token from a TokenProvider. When Amazon
// rejects the token with 403 because it expired or is invalid, the client drops the
// cached token, gets a new one and retries exactly once.
//
// Every non-2xx response is an *Error. The error classes are:
//
//   - IsThrottled (429) and 5xx: Retryable() is true; wait RetryAfter().
//   - errors.Is(err, ErrAppCredentialsExpired): the application's LWA client
//     secret expired; an incident for every seller, never retried.
//   - lwa.ErrAuthorizationRevoked and lwa.ErrClientRejected from the token
//     provider pass through wrapped.
//   - IsNotFound (404) and other 4xx: not retryable.
//
// A 200 response to patchListingsItem with status INVALID is not an error: the
// SubmissionResponse carries the issues and the caller decides.
package spapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// TokenProvider hands out LWA access tokens per seller. *lwa.Sources
// satisfies it.
type TokenProvider interface {
	AccessToken(ctx context.Context, sellerID string) (string, error)
	Invalidate(sellerID string)
}

// Config configures a Client.
type Config struct {
	// Endpoint is the base URL of the API. Required. Use Endpoint(region,
	// sandbox) for Amazon, or the simulator's URL in development.
	Endpoint string
	// AppName names the application in the User-Agent. Optional; the
	// default is "NotERP".
	AppName string
	// AppVersion is the application version in the User-Agent. Optional;
	// the default is "dev".
	AppVersion string
	// HTTPClient sends the requests. Optional; the default is a client with
	// a 30-second timeout.
	HTTPClient *http.Client
	// Tokens supplies access tokens. Required.
	Tokens TokenProvider
	// Logger receives one debug entry per call. Optional.
	Logger *zap.Logger
}

// Client calls the Selling Partner API. It is safe for concurrent use.
type Client struct {
	endpoint   string
	userAgent  string
	httpClient *http.Client
	tokens     TokenProvider
	logger     *zap.Logger
}

// Response describes Amazon's response to a call, successful or not.
type Response struct {
	StatusCode int
	// RequestID is x-amzn-RequestId.
	RequestID string
	// RateLimit is x-amzn-RateLimit-Limit in requests per second, or 0 when
	// absent. Amazon sends it on some 200, 400 and 404 responses only.
	RateLimit float64
}

// maxResponseBytes bounds how much of a response body the client reads.
const maxResponseBytes = 16 << 20

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("spapi: endpoint is missing: set it to an SP-API base URL such as https://sellingpartnerapi-na.amazon.com")
	}
	endpoint, err := url.Parse(cfg.Endpoint)
	if err != nil || (endpoint.Scheme != "https" && endpoint.Scheme != "http") || endpoint.Host == "" {
		return nil, fmt.Errorf("spapi: endpoint %q is invalid: use an absolute URL such as https://sellingpartnerapi-na.amazon.com", cfg.Endpoint)
	}
	if cfg.Tokens == nil {
		return nil, errors.New("spapi: token provider is missing")
	}

	appName, appVersion := cfg.AppName, cfg.AppVersion
	if appName == "" {
		appName = "NotERP"
	}
	if appVersion == "" {
		appVersion = "dev"
	}
	agent, err := userAgent(appName, appVersion)
	if err != nil {
		return nil, err
	}

	c := &Client{
		endpoint:   strings.TrimRight(cfg.Endpoint, "/"),
		userAgent:  agent,
		httpClient: cfg.HTTPClient,
		tokens:     cfg.Tokens,
		logger:     cfg.Logger,
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.logger == nil {
		c.logger = zap.NewNop()
	}
	return c, nil
}

// UserAgent returns the User-Agent header the client sends.
func (c *Client) UserAgent() string { return c.userAgent }

// call is one SP-API operation on a seller's resource.
type call struct {
	operation string
	method    string
	sellerID  string
	sku       string
	// path is the request path with every segment already escaped.
	path  string
	query map[string][]string
	body  []byte
}

// do sends c with an access token for its seller. When Amazon refuses the
// token as expired or invalid, it invalidates the token and sends once more.
// A non-2xx response comes back as *Error together with its Response.
func (c *Client) do(ctx context.Context, req call) (Response, []byte, error) {
	token, err := c.tokens.AccessToken(ctx, req.sellerID)
	if err != nil {
		return Response{}, nil, fmt.Errorf("spapi: %s for seller %s, SKU %q: get access token: %w: %w", req.operation, req.sellerID, req.sku, ErrNotSent, err)
	}

	resp, body, err := c.send(ctx, req, token)
	var apiErr *Error
	if !errors.As(err, &apiErr) || !apiErr.accessTokenRejected() {
		return resp, body, err
	}

	c.logger.Info("SP-API rejected the access token, refreshing it and retrying once",
		zap.String("operation", req.operation),
		zap.String("seller_id", req.sellerID),
		zap.String("sku", req.sku),
		zap.String("amazon_request_id", resp.RequestID))
	c.tokens.Invalidate(req.sellerID)

	token, err = c.tokens.AccessToken(ctx, req.sellerID)
	if err != nil {
		return resp, nil, fmt.Errorf("spapi: %s for seller %s, SKU %q: refresh access token after HTTP 403: %w: %w", req.operation, req.sellerID, req.sku, ErrNotSent, err)
	}
	return c.send(ctx, req, token)
}

// send performs one HTTP exchange.
func (c *Client) send(ctx context.Context, req call, token string) (Response, []byte, error) {
	target := c.endpoint + req.path
	if query := encodeQuery(req.query); query != "" {
		target += "?" + query
	}

	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return Response{}, nil, fmt.Errorf("spapi: %s for seller %s, SKU %q: build request: %w: %w", req.operation, req.sellerID, req.sku, ErrNotSent, err)
	}
	httpReq.Header.Set("x-amz-access-token", token)
	httpReq.Header.Set("User-Agent", c.userAgent)
	httpReq.Header.Set("Accept", "application/json")
	if req.body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}

	httpResp, err := c.httpClient.Do(httpReq)
	if err != nil {
		c.logger.Debug("SP-API call failed",
			zap.String("operation", req.operation),
			zap.String("seller_id", req.sellerID),
			zap.String("sku", req.sku),
			zap.Error(err))
		return Response{}, nil, fmt.Errorf("spapi: %s for seller %s, SKU %q: %w", req.operation, req.sellerID, req.sku, err)
	}
	defer httpResp.Body.Close()

	resp := Response{
		StatusCode: httpResp.StatusCode,
		RequestID:  httpResp.Header.Get("x-amzn-RequestId"),
		RateLimit:  parseRateLimit(httpResp.Header.Get("x-amzn-RateLimit-Limit")),
	}
	respBody, readErr := io.ReadAll(io.LimitReader(httpResp.Body, maxResponseBytes))

	c.logger.Debug("SP-API call",
		zap.String("operation", req.operation),
		zap.String("seller_id", req.sellerID),
		zap.String("sku", req.sku),
		zap.Int("status", resp.StatusCode),
		zap.String("amazon_request_id", resp.RequestID),
		zap.Float64("rate_limit", resp.RateLimit))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &Error{
			Operation:  req.operation,
			SellerID:   req.sellerID,
			SKU:        req.sku,
			StatusCode: resp.StatusCode,
			RequestID:  resp.RequestID,
			ErrorType:  httpResp.Header.Get("x-amzn-ErrorType"),
			RateLimit:  resp.RateLimit,
		}
		var list errorList
		if json.Unmarshal(respBody, &list) == nil {
			apiErr.Errors = list.Errors
		}
		return resp, respBody, apiErr
	}
	if readErr != nil {
		return resp, nil, fmt.Errorf("spapi: %s for seller %s, SKU %q: read response [amazon request id %s]: %w", req.operation, req.sellerID, req.sku, resp.RequestID, readErr)
	}
	return resp, respBody, nil
}

// encodeQuery encodes query parameters in key order. The values of one key
// are joined with literal commas, the csv collection format of Amazon's
// models.
func encodeQuery(query map[string][]string) string {
	keys := make([]string, 0, len(query))
	for key, values := range query {
		if len(values) > 0 {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)

	parts := make([]string, 0, len(keys))
	for _, key := range keys {
		values := query[key]
		escaped := make([]string, len(values))
		for i, value := range values {
			escaped[i] = url.QueryEscape(value)
		}
		parts = append(parts, url.QueryEscape(key)+"="+strings.Join(escaped, ","))
	}
	return strings.Join(parts, "&")
}

// parseRateLimit reads x-amzn-RateLimit-Limit, returning 0 when it is absent
// or not a positive number.
func parseRateLimit(header string) float64 {
	rate, err := strconv.ParseFloat(strings.TrimSpace(header), 64)
	if err != nil || rate <= 0 {
		return 0
	}
	return rate
}
