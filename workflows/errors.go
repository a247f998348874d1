package workflows

import "go.temporal.io/sdk/temporal"

// Application error types that the Update validators return. The API maps
// them to HTTP statuses: Forbidden → 403, Conflict → 409, InvalidArgument → 400.
const (
	ErrTypeForbidden = "Forbidden"
	ErrTypeConflict  = "Conflict"
	ErrTypeInvalid   = "InvalidArgument"
)

func forbidden(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeForbidden, nil)
}

func conflict(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeConflict, nil)
}

func invalid(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalid, nil)
}
