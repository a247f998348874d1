package amazonsim

import (
	"fmt"
	"time"
)

// Fault kinds; the package documentation describes each.
const (
	FaultThrottle     = "throttle"
	FaultServerError  = "server_error"
	FaultExpiredToken = "expired_token"
	FaultInvalid      = "invalid"
	FaultNotApplied   = "not_applied"
	FaultSlowApply    = "slow_apply"
	FaultSlowResponse = "slow_response"
)

// Fault modes limit an invalid fault to one kind of patchListingsItem request.
const (
	// FaultModePreview matches only VALIDATION_PREVIEW requests.
	FaultModePreview = "VALIDATION_PREVIEW"
	// FaultModeSubmission matches only requests without a mode.
	FaultModeSubmission = "SUBMISSION"
)

// Fault makes the next Count matching requests fail in one way.
type Fault struct {
	// SellerID limits the fault to one seller; empty matches every seller.
	SellerID string
	// Operation is getListingsItem, patchListingsItem or token.
	Operation string
	// Kind is one of the Fault* constants.
	Kind string
	// Count is how many requests the fault affects; 0 means 1.
	Count int
	// Delay is the wait of slow_apply and slow_response, which need it.
	Delay time.Duration
	// Mode limits an invalid fault: "", FaultModePreview or FaultModeSubmission.
	Mode string
}

// activeFault is a fault with the requests it still affects.
type activeFault struct {
	Fault
	kind      string
	remaining int
}

// AddFault arms f. It returns an error naming the field when f is invalid.
func (s *Server) AddFault(f Fault) error {
	if err := checkFault(f); err != nil {
		return err
	}
	if f.Count <= 0 {
		f.Count = 1
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, kind: f.Kind, remaining: f.Count})
	return nil
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults returns the faults that still affect requests, with Count set to
// the requests each still affects.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()

	faults := make([]Fault, 0, len(s.faults))
	for _, active := range s.faults {
		f := active.Fault
		f.Count = active.remaining
		faults = append(faults, f)
	}
	return faults
}

func checkFault(f Fault) error {
	allowed := map[string][]string{
		OperationToken:             {FaultThrottle, FaultServerError},
		OperationGetListingsItem:   {FaultThrottle, FaultServerError, FaultExpiredToken, FaultSlowResponse},
		OperationPatchListingsItem: {FaultThrottle, FaultServerError, FaultExpiredToken, FaultInvalid, FaultNotApplied, FaultSlowApply, FaultSlowResponse},
	}
	kinds, ok := allowed[f.Operation]
	if !ok {
		return fmt.Errorf("operation %q is unknown: use getListingsItem, patchListingsItem or token", f.Operation)
	}
	if !contains(kinds, f.Kind) {
		return fmt.Errorf("fault %q does not apply to operation %s: use one of %v", f.Kind, f.Operation, kinds)
	}
	if (f.Kind == FaultSlowApply || f.Kind == FaultSlowResponse) && f.Delay <= 0 {
		return fmt.Errorf("fault %s needs a positive delay, such as \"5s\"", f.Kind)
	}
	if f.Count < 0 {
		return fmt.Errorf("count %d is negative: use a positive number, or 0 for 1", f.Count)
	}
	switch f.Mode {
	case "":
	case FaultModePreview, FaultModeSubmission:
		if f.Kind != FaultInvalid {
			return fmt.Errorf("mode %q applies only to the invalid fault", f.Mode)
		}
	default:
		return fmt.Errorf("mode %q is unknown: use %q, %q or leave it empty", f.Mode, FaultModePreview, FaultModeSubmission)
	}
	return nil
}

// takeFault returns and uses up one request of the first fault matching
// the request, or nil. preview reports whether the request is a
// VALIDATION_PREVIEW, which never writes and so matches no write fault. The
// caller holds s.mu.
func (s *Server) takeFault(sellerID, operation string, preview bool) *activeFault {
	for i, active := range s.faults {
		if active.Operation != operation || (active.SellerID != "" && active.SellerID != sellerID) {
			continue
		}
		if !faultMatchesMode(active, preview) {
			continue
		}

		active.remaining--
		if active.remaining <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return active
	}
	return nil
}

func faultMatchesMode(f *activeFault, preview bool) bool {
	switch f.kind {
	case FaultNotApplied, FaultSlowApply:
		return !preview
	case FaultInvalid:
		return f.Mode == "" || (f.Mode == FaultModePreview) == preview
	}
	return true
}

func contains(values []string, value string) bool {
	for _, v := range values {
		if v == value {
			return true
		}
	}
	return false
}
