package lwa

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrAuthorizationRevoked matches an LWA "invalid_grant" response to a refresh
// grant: the seller revoked the authorization or never granted it. Retrying
// does not help; the seller must authorize the application again. Other
// sellers are not affected.
var ErrAuthorizationRevoked = errors.New("lwa: seller authorization revoked or never granted (invalid_grant)")

// ErrClientRejected matches an LWA "invalid_client" response: Amazon rejected
// the application's client id or client secret, for example after a secret
// rotation. Every seller is affected and retrying does not help.
var ErrClientRejected = errors.New("lwa: application client id or client secret rejected (invalid_client)")

// Error is a failed token refresh. It carries the HTTP status and the OAuth 2
// error code and description from the LWA response, and never a token, a
// client secret or the request body.
//
// errors.Is(err, ErrAuthorizationRevoked) is true for Code "invalid_grant",
// errors.Is(err, ErrClientRejected) for Code "invalid_client".
type Error struct {
	// SellerID is the seller whose token was being refreshed.
	SellerID string
	// StatusCode is the HTTP status of the token response, or 0 when no
	// response arrived (network failure, timeout).
	StatusCode int
	// Code is the OAuth 2 "error" field, such as "invalid_grant".
	Code string
	// Description is the OAuth 2 "error_description" field.
	Description string
	// Err is the transport error when no response arrived.
	Err error
}

// Error formats the failure with the seller id, status and OAuth 2 code.
func (e *Error) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("lwa: refresh access token for seller %s: %v", e.SellerID, e.Err)
	}

	msg := fmt.Sprintf("lwa: refresh access token for seller %s: HTTP %d", e.SellerID, e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches ErrAuthorizationRevoked and ErrClientRejected by OAuth 2 code.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrAuthorizationRevoked:
		return e.Code == "invalid_grant"
	case ErrClientRejected:
		return e.Code == "invalid_client"
	}
	return false
}

// Retryable reports whether a later attempt may succeed: true for network
// failures, HTTP 429, HTTP 5xx and the OAuth 2 codes "server_error" and
// "temporarily_unavailable"; false for every other response, including
// invalid_grant and invalid_client.
func (e *Error) Retryable() bool {
	switch {
	case e.Code == "invalid_grant" || e.Code == "invalid_client":
		return false
	case e.StatusCode == 0:
		return true
	case e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500:
		return true
	case e.Code == "server_error" || e.Code == "temporarily_unavailable":
		return true
	}
	return false
}

// IsRetryable reports whether err is an *Error whose Retryable method
// returns true.
func IsRetryable(err error) bool {
	var lwaErr *Error
	return errors.As(err, &lwaErr) && lwaErr.Retryable()
}
