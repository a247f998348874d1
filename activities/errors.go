package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/noterp/noterp/internal/amazon/lwa"
	"github.com/noterp/noterp/internal/amazon/spapi"
)

// classify maps an Amazon client error to Temporal retry behaviour:
//   - throttling (429) retries after the delay Amazon's rate implies, never
//     by sleeping inside the activity, so one throttled seller does not hold
//     a worker slot;
//   - 5xx and network errors retry with the workflow's backoff;
//   - a revoked seller authorization (or an access token refused again
//     right after a refresh), rejected app credentials, a missing listing
//     and any other 4xx never retry.
func classify(err error) error {
	switch {
	case errors.Is(err, lwa.ErrAuthorizationRevoked):
		return nonRetryable(ErrTypeAuthorizationRevoked, err)
	case errors.Is(err, lwa.ErrClientRejected), errors.Is(err, spapi.ErrAppCredentialsExpired):
		return nonRetryable(ErrTypeAppCredentials, err)
	case spapi.IsAccessTokenRejected(err):
		// A freshly refreshed token was refused too: treat it like a
		// revoked authorization rather than retrying.
		return nonRetryable(ErrTypeAuthorizationRevoked, err)
	}

	var apiErr *spapi.Error
	if !errors.As(err, &apiErr) {
		return err
	}
	switch {
	case apiErr.StatusCode == 429:
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeThrottled, temporal.ApplicationErrorOptions{
			NextRetryDelay: apiErr.RetryAfter(),
		})
	case apiErr.StatusCode == 404:
		return nonRetryable(ErrTypeListingNotFound, err)
	case apiErr.Retryable():
		return temporal.NewApplicationError(err.Error(), ErrTypeAmazonUnavailable)
	}
	return nonRetryable(ErrTypeAmazonRejected, err)
}

// nonRetryable wraps err in a non-retryable application error of errType.
func nonRetryable(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
}

// answerLost reports whether a write failed without a usable response from
// Amazon. Amazon may then have received and applied the request, so the
// write must not be sent again. spapi.ErrNotSent means the request never
// left, and an *spapi.Error is Amazon's response. Anything else, such as a
// broken connection, a timeout or a 2xx body that could not be read,
// counts as lost.
func answerLost(err error) bool {
	var apiErr *spapi.Error
	return !errors.Is(err, spapi.ErrNotSent) && !errors.As(err, &apiErr)
}
