package amazonsim

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// patchIncludedData are the includedData values of patchListingsItem.
var patchIncludedData = []string{"identifiers", "issues"}

// maxPatchBodyBytes bounds a patchListingsItem body; larger ones get 413.
const maxPatchBodyBytes = 1 << 20

// submissionResponse is ListingsItemSubmissionResponse of Amazon's model.
type submissionResponse struct {
	SKU          string              `json:"sku"`
	Status       string              `json:"status"`
	SubmissionID string              `json:"submissionId"`
	Issues       []issue             `json:"issues"`
	Identifiers  []map[string]string `json:"identifiers,omitempty"`
}

// handlePatchListingsItem serves patchListingsItem.
func (s *Server) handlePatchListingsItem(w http.ResponseWriter, r *http.Request, req apiRequest) {
	query := r.URL.Query()
	marketplaceIDs, problem := parseMarketplaceIDs(query.Get("marketplaceIds"))
	mode := query.Get("mode")
	preview := mode == "VALIDATION_PREVIEW"
	included := splitCSV(query.Get("includedData"))
	if problem == "" {
		problem = checkPatchQuery(mode, included)
	}
	if problem != "" {
		writeErrors(w, http.StatusBadRequest, req.rate, errorEntry{Code: "InvalidInput", Message: problem})
		return
	}

	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		writeErrors(w, http.StatusUnsupportedMediaType, 0, errorEntry{Code: "UnsupportedMediaType", Message: fmt.Sprintf("Content-Type '%s' is not supported; use application/json.", r.Header.Get("Content-Type"))})
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPatchBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeErrors(w, http.StatusRequestEntityTooLarge, 0, errorEntry{Code: "RequestEntityTooLarge", Message: fmt.Sprintf("The request body is larger than %d bytes.", maxPatchBodyBytes)})
		return
	}
	if err != nil {
		writeErrors(w, http.StatusBadRequest, req.rate, errorEntry{Code: "InvalidInput", Message: "The request body could not be read."})
		return
	}
	productType, patches, issues, problem := parsePatchBody(raw)
	if problem != "" {
		writeErrors(w, http.StatusBadRequest, req.rate, errorEntry{Code: "InvalidInput", Message: problem})
		return
	}
	issues = append(issues, validateAttributes(patches, marketplaceIDs)...)
	for i := range patches {
		patches[i].marketplaceIDs = marketplaceIDs
	}

	response := submissionResponse{SKU: req.sku, SubmissionID: randomHex(16), Issues: issues}
	if contains(included, "identifiers") {
		for _, id := range marketplaceIDs {
			response.Identifiers = append(response.Identifiers, map[string]string{"marketplaceId": id, "asin": fakeASIN(req.sellerID, req.sku)})
		}
	}
	s.submit(req, productType, patches, preview, &response)

	holdResponse(r, req.fault)
	writeJSON(w, http.StatusOK, response, req.rate)
}

// submit decides the status of a checked patch and, for an accepted
// submission, records the write. It fills response.Status and Issues.
func (s *Server) submit(req apiRequest, productType string, patches []patchOperation, preview bool, response *submissionResponse) {
	now := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()

	l := s.listingLocked(req.sellerID, req.sku, now)
	if l == nil {
		// NOTE: Amazon documents no code for a patch of a SKU the seller
		// does not have; SKU_NOT_FOUND is the simulator's own.
		response.Issues = append(response.Issues, issue{
			Code:       "SKU_NOT_FOUND",
			Message:    fmt.Sprintf("SKU '%s' does not exist for seller %s; create the listing before patching it.", req.sku, req.sellerID),
			Severity:   "ERROR",
			Categories: []string{},
		})
	}
	if req.fault != nil && req.fault.kind == FaultInvalid {
		response.Issues = append(response.Issues, issue{
			Code:       invalidAttributesCode,
			Message:    fmt.Sprintf("The attributes are invalid for product type %s. (simulated fault)", productType),
			Severity:   "ERROR",
			Categories: []string{categoryInvalidAttribute},
		})
	}
	if response.Issues == nil {
		response.Issues = []issue{}
	}

	switch {
	case hasError(response.Issues):
		response.Status = "INVALID"
		return
	case preview:
		response.Status = "VALID"
		return
	}

	response.Status = "ACCEPTED"
	l.writes++
	kind := ""
	if req.fault != nil {
		kind = req.fault.kind
	}
	switch {
	case kind == FaultNotApplied:
		// Accepted and counted, but never applied.
	case kind == FaultSlowResponse || s.applyDelay < 0:
		l.attributes = applyPatches(l.attributes, patches)
		l.updated = now
	case kind == FaultSlowApply:
		l.pending = append(l.pending, pendingWrite{applyAt: now.Add(req.fault.Delay), patches: patches})
	default:
		l.pending = append(l.pending, pendingWrite{applyAt: now.Add(s.applyDelay), patches: patches})
	}
}

// checkPatchQuery checks mode and includedData of patchListingsItem and
// returns a message for a 400 response, or "".
func checkPatchQuery(mode string, included []string) string {
	if mode != "" && mode != "VALIDATION_PREVIEW" {
		return fmt.Sprintf("mode '%s' is invalid; use VALIDATION_PREVIEW or leave it out.", mode)
	}
	for _, value := range included {
		if !contains(patchIncludedData, value) {
			return fmt.Sprintf("includedData value '%s' is invalid; use %s.", value, strings.Join(patchIncludedData, ", "))
		}
	}
	if contains(included, "identifiers") && mode != "VALIDATION_PREVIEW" {
		return "includedData value 'identifiers' can only be requested with mode VALIDATION_PREVIEW."
	}
	return ""
}

func hasError(issues []issue) bool {
	for _, i := range issues {
		if i.Severity == "ERROR" {
			return true
		}
	}
	return false
}
