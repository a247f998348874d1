package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// Error codes of the JSON error body.
const (
	CodeInvalidArgument     = "invalid_argument"
	CodeUnauthenticated     = "unauthenticated"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeConflict            = "conflict"
	CodeIdempotencyConflict = "idempotency_conflict"
	CodeSellerNotConnected  = "seller_not_connected"
	CodeTimeout             = "timeout"
	CodeUnavailable         = "unavailable"
	CodeInternal            = "internal"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeTooLarge            = "request_too_large"
)

// Error is an API error. Message is safe to show to the client. Err is the
// internal detail, which goes only to the log.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId,omitempty"`
	} `json:"error"`
}

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

func internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error: try again later, and report the request id if it persists", Err: err}
}

// handleError writes err as the JSON error body and logs the internal
// detail. It is Echo's HTTPErrorHandler.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	apiErr := toError(err)

	fields := []zap.Field{
		zap.String("code", apiErr.Code),
		zap.Int("status", apiErr.Status),
		zap.String("request_id", requestID(c)),
		zap.String("path", c.Request().URL.Path),
		zap.Error(err),
	}
	if p, ok := principalOf(c); ok {
		fields = append(fields, zap.String("tenant", p.Tenant), zap.String("user_id", p.UserID))
	}
	if apiErr.Status >= 500 {
		s.logger.Error("request failed", fields...)
	} else {
		s.logger.Debug("request rejected", fields...)
	}

	var body errorBody
	body.Error.Code = apiErr.Code
	body.Error.Message = apiErr.Message
	body.Error.RequestID = requestID(c)
	if apiErr.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="noterp"`)
	}

	var writeErr error
	if c.Request().Method == http.MethodHead {
		writeErr = c.NoContent(apiErr.Status)
	} else {
		writeErr = c.JSON(apiErr.Status, body)
	}
	if writeErr != nil {
		s.logger.Warn("write error response", zap.String("request_id", requestID(c)), zap.Error(writeErr))
	}
}

// toError turns any handler error into an *Error.
func toError(err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}

	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		switch httpErr.Code {
		case http.StatusNotFound:
			return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such route: check the method and path against the API reference in docs/openapi.yaml", Err: err}
		case http.StatusMethodNotAllowed:
			return &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Message: "method not allowed on this path: docs/openapi.yaml lists the methods each path takes", Err: err}
		case http.StatusRequestEntityTooLarge:
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: "request body is larger than 1 MiB: send a smaller body", Err: err}
		}
		if httpErr.Code < 500 {
			return &Error{Status: httpErr.Code, Code: CodeInvalidArgument, Message: fmt.Sprint(httpErr.Message), Err: err}
		}
	}
	return internal(err)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
