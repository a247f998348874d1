package spapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// ErrAppCredentialsExpired matches a 403 whose details report that the LWA
// secret token expired. The application's client secret is the problem, so
// it affects every seller. Neither authorizing the seller again nor
// retrying helps.
var ErrAppCredentialsExpired = errors.New("spapi: the application's LWA client secret has expired: rotate it in the developer console")

// ErrorDetail is one entry of the errors array of an SP-API error body.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// Error is a non-2xx response from the Selling Partner API.
type Error struct {
	// Operation is the SP-API operation, such as "patchListingsItem".
	Operation string
	SellerID  string
	SKU       string
	// StatusCode is the HTTP status.
	StatusCode int
	// RequestID is x-amzn-RequestId; Amazon support needs it.
	RequestID string
	// ErrorType is x-amzn-ErrorType, such as "AccessDeniedException", when present.
	ErrorType string
	// RateLimit is x-amzn-RateLimit-Limit in requests per second, or 0 when absent.
	RateLimit float64
	// Errors is the decoded errors array of the body; it is empty when the
	// body was not an SP-API error list.
	Errors []ErrorDetail
}

// Error formats the failure with the operation, seller, SKU, status, the
// first error entry and the request id.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "spapi: %s for seller %s", e.Operation, e.SellerID)
	if e.SKU != "" {
		fmt.Fprintf(&b, ", SKU %q", e.SKU)
	}
	fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	if len(e.Errors) > 0 {
		first := e.Errors[0]
		fmt.Fprintf(&b, " %s: %s", first.Code, first.Message)
		if first.Details != "" {
			fmt.Fprintf(&b, " (%s)", first.Details)
		}
		if len(e.Errors) > 1 {
			fmt.Fprintf(&b, " and %d more errors", len(e.Errors)-1)
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [amazon request id %s]", e.RequestID)
	}
	return b.String()
}

// Is matches ErrAppCredentialsExpired.
func (e *Error) Is(target error) bool {
	return target == ErrAppCredentialsExpired && e.appCredentialsExpired()
}

// Retryable reports whether a later attempt may succeed: true for HTTP 429
// and 5xx.
func (e *Error) Retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// RetryAfter is how long to wait before retrying a throttled (429) call: one
// token of the operation's bucket, that is 1/rate seconds, with a floor of
// one second. The rate is the x-amzn-RateLimit-Limit header when present
// (Amazon rarely sends it on 429) and otherwise the operation's published
// rate. It returns 0 for every status other than 429.
func (e *Error) RetryAfter() time.Duration {
	if e.StatusCode != http.StatusTooManyRequests {
		return 0
	}

	rate := e.RateLimit
	if rate <= 0 {
		rate = publishedRate(e.Operation)
	}
	wait := time.Duration(math.Ceil(float64(time.Second) / rate))
	return max(wait, time.Second)
}

// accessTokenRejected reports whether Amazon refused the access token as
// expired, revoked, malformed or invalid. A fresh token may succeed.
func (e *Error) accessTokenRejected() bool {
	if e.StatusCode != http.StatusForbidden || e.appCredentialsExpired() {
		return false
	}
	for _, detail := range e.Errors {
		text := strings.ToLower(detail.Message + " " + detail.Details)
		if !strings.Contains(text, "access token") {
			continue
		}
		if strings.Contains(text, "expired") || strings.Contains(text, "revoked, malformed or invalid") {
			return true
		}
	}
	return false
}

// appCredentialsExpired reports whether the body states the LWA secret token
// (the application's client secret) expired.
func (e *Error) appCredentialsExpired() bool {
	if e.StatusCode != http.StatusForbidden {
		return false
	}
	for _, detail := range e.Errors {
		text := strings.ToLower(detail.Message + " " + detail.Details)
		if strings.Contains(text, "secret token") && strings.Contains(text, "expired") {
			return true
		}
	}
	return false
}

// ErrNotSent marks a failure before the request left the client, such as
// a token that could not be had. Amazon cannot have acted on it, so a write
// that fails with it may be sent again.
var ErrNotSent = errors.New("request not sent")

// IsAccessTokenRejected reports whether err is a 403 whose body states the
// access token is expired, revoked, malformed or invalid. The client has
// already refreshed the token and retried once when it returns such an
// error, so the seller's authorization is the likely cause.
func IsAccessTokenRejected(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.accessTokenRejected()
}

// IsThrottled reports whether err is an *Error with HTTP 429.
func IsThrottled(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests
}

// IsNotFound reports whether err is an *Error with HTTP 404.
//
// NOTE: Amazon has returned 404 (and 403) for existing SKUs whose special
// characters were encoded wrongly, so a 404 for such a SKU is not proof that
// the listing is gone.
func IsNotFound(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

// IsRetryable reports whether err is an *Error whose Retryable method returns
// true.
func IsRetryable(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.Retryable()
}
