package amazonsim

import (
	"net/http"
	"time"
)

// apiRequest is an authorized SP-API request that passed the rate limit.
type apiRequest struct {
	sellerID string
	sku      string
	// fault is the fault this request used up, if any, that the operation
	// handler must act on (invalid, not_applied, slow_apply, slow_response).
	fault *activeFault
	// rate is the x-amzn-RateLimit-Limit value for the response.
	rate float64
}

// Amazon's 403 bodies for access token problems.
var (
	errAccessDenied = errorEntry{Code: "Unauthorized", Message: "Access to requested resource is denied."}
	errTokenMissing = errorEntry{Code: "Unauthorized", Message: "Access to requested resource is denied.", Details: "Access token is missing in the request header."}
	errTokenInvalid = errorEntry{Code: "Unauthorized", Message: "Access to requested resource is denied.", Details: "The access token you provided is revoked, malformed or invalid."}
	errTokenExpired = errorEntry{Code: "Unauthorized", Message: "Access to requested resource is denied.", Details: "The access token you provided has expired."}
	errQuota        = errorEntry{Code: "QuotaExceeded", Message: "You exceeded your quota for the requested resource."}
	errInternal     = errorEntry{Code: "InternalFailure", Message: "We encountered an internal error. Please try again. (simulated fault)"}
)

// spapi wraps an SP-API operation handler with what every SP-API request
// goes through, in Amazon's order: call counting, access token check,
// injected faults, then the seller's token bucket.
func (s *Server) spapi(operation string, handle func(http.ResponseWriter, *http.Request, apiRequest)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := apiRequest{sellerID: r.PathValue("sellerId"), sku: r.PathValue("sku"), rate: usagePlans[operation].rate}
		preview := r.URL.Query().Get("mode") == "VALIDATION_PREVIEW"
		now := s.now()

		s.mu.Lock()
		s.countCall(req.sellerID, operation)
		denied := s.checkAccessToken(r.Header.Get("x-amz-access-token"), req.sellerID, now)
		var fault *activeFault
		if denied == nil {
			fault = s.takeFault(req.sellerID, operation, preview)
		}
		throttled := denied == nil && fault == nil && !s.takeToken(req.sellerID, operation, now)
		s.mu.Unlock()

		switch {
		case denied != nil:
			w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
			writeErrors(w, http.StatusForbidden, 0, *denied)
			return
		case fault != nil && fault.kind == FaultExpiredToken:
			w.Header().Set("x-amzn-ErrorType", "AccessDeniedException")
			writeErrors(w, http.StatusForbidden, 0, errTokenExpired)
			return
		case fault != nil && fault.kind == FaultThrottle, throttled:
			w.Header().Set("x-amzn-ErrorType", "TooManyRequestsException")
			writeErrors(w, http.StatusTooManyRequests, 0, errQuota)
			return
		case fault != nil && fault.kind == FaultServerError:
			writeErrors(w, http.StatusInternalServerError, 0, errInternal)
			return
		}

		req.fault = fault
		handle(w, r, req)
	}
}

// checkAccessToken returns the 403 body for a missing, unknown, expired or
// other seller's token, or nil when token may act for sellerID. The caller
// holds s.mu.
func (s *Server) checkAccessToken(token, sellerID string, now time.Time) *errorEntry {
	if token == "" {
		return &errTokenMissing
	}
	grant, ok := s.accessTokens[token]
	if !ok {
		return &errTokenInvalid
	}
	if !now.Before(grant.expiresAt) {
		return &errTokenExpired
	}
	if grant.sellerID != sellerID {
		return &errAccessDenied
	}
	return nil
}

// holdResponse waits for the slow_response delay or until the client goes
// away.
func holdResponse(r *http.Request, fault *activeFault) {
	if fault == nil || fault.kind != FaultSlowResponse {
		return
	}
	timer := time.NewTimer(fault.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
	}
}
