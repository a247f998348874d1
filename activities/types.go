// Package activities holds the Temporal activities of governed actions:
// every call to Amazon, every write to PostgreSQL and every read of the
// clock or of secrets that a workflow needs happens here, so the workflow
// code stays deterministic. Results carry identifiers, prices and Amazon's
// response metadata only, never tokens or whole documents.
package activities

import (
	"encoding/json"
	"time"

	"github.com/noterp/noterp/internal/money"
)

// Error types carried by non-retryable Temporal application errors. The
// workflow ends the action according to the type.
const (
	ErrTypeListingNotFound      = "ListingNotFound"
	ErrTypeOfferNotFound        = "OfferNotFound"
	ErrTypeAuthorizationRevoked = "LWAInvalidGrant"
	ErrTypeAppCredentials       = "AppCredentialsRejected"
	ErrTypeAmazonRejected       = "AmazonRejected"
	ErrTypeResourceLocked       = "ResourceLocked"
	ErrTypeInvalidInput         = "InvalidInput"
	ErrTypeThrottled            = "Throttled"
	ErrTypeAmazonUnavailable    = "AmazonUnavailable"
)

// ListingRef names one listing of one seller in one marketplace.
type ListingRef struct {
	Tenant        string `json:"tenant"`
	SellerID      string `json:"sellerId"`
	MarketplaceID string `json:"marketplaceId"`
	SKU           string `json:"sku"`
}

// Issue is one issue Amazon reported for a listing or a submission.
type Issue struct {
	Code           string   `json:"code"`
	Message        string   `json:"message"`
	Severity       string   `json:"severity"`
	AttributeNames []string `json:"attributeNames,omitempty"`
	Categories     []string `json:"categories,omitempty"`
}

// AmazonResponse is the evidence NotERP keeps of one Amazon call.
type AmazonResponse struct {
	Operation    string  `json:"operation"`
	HTTPStatus   int     `json:"httpStatus"`
	RequestID    string  `json:"requestId"`
	SubmissionID string  `json:"submissionId,omitempty"`
	Status       string  `json:"status,omitempty"`
	Issues       []Issue `json:"issues,omitempty"`
}

// OfferSnapshot is a listing's offer for one marketplace as read from
// Amazon: the current price and the whole purchasable_offer attribute, so
// that a later write can send every sibling field back unchanged.
type OfferSnapshot struct {
	ProductType string `json:"productType"`
	// PurchasableOffer is the attribute's complete value (a JSON array) as
	// Amazon returned it, for every marketplace and audience.
	PurchasableOffer json.RawMessage `json:"purchasableOffer"`
	OurPrice         money.Money     `json:"ourPrice"`
	Issues           []Issue         `json:"issues,omitempty"`
	ObservedAt       time.Time       `json:"observedAt"`
	Response         AmazonResponse  `json:"response"`
}

// PriceChange is a listing and its approved absolute target price.
type PriceChange struct {
	ActionID string      `json:"actionId"`
	Listing  ListingRef  `json:"listing"`
	Target   money.Money `json:"target"`
	// Snapshot is the offer the proposal was judged on.
	Snapshot OfferSnapshot `json:"snapshot"`
}

// PreviewResult is Amazon's response to a VALIDATION_PREVIEW request. It is
// advisory, because Amazon may still reject the real submission.
type PreviewResult struct {
	Status   string         `json:"status"`
	Issues   []Issue        `json:"issues,omitempty"`
	Response AmazonResponse `json:"response"`
}

// Execution outcomes recorded by ApplyPrice.
const (
	OutcomeSubmitted        = "submitted"
	OutcomeAlreadyApplied   = "already_applied"
	OutcomeStale            = "stale"
	OutcomeRejectedByAmazon = "rejected_by_amazon"
	// OutcomeSubmissionUnknown means an earlier attempt began a write whose
	// response was lost, for example because the worker stopped mid-call.
	// NotERP does not send the write again, and verification decides
	// whether it took effect.
	OutcomeSubmissionUnknown = "submission_unknown"
)

// ApplyResult is the outcome of one execution.
type ApplyResult struct {
	Outcome string `json:"outcome"`
	// Reason explains a stale or rejected outcome in words for the audit.
	Reason string `json:"reason,omitempty"`
	// Before is the offer read right before the write.
	Before OfferSnapshot `json:"before"`
	// Sent is the purchasable_offer value sent to Amazon, if a write was made.
	Sent     json.RawMessage `json:"sent,omitempty"`
	Response *AmazonResponse `json:"response,omitempty"`
}

// Observation is one read-back of a listing's price during verification.
type Observation struct {
	OurPrice   money.Money    `json:"ourPrice"`
	Issues     []Issue        `json:"issues,omitempty"`
	ObservedAt time.Time      `json:"observedAt"`
	Response   AmazonResponse `json:"response"`
}

// PolicyRequest names the policy to load.
type PolicyRequest struct {
	Tenant string `json:"tenant"`
	Kind   string `json:"kind"`
}

// LockRequest names a resource lock held by one action.
type LockRequest struct {
	Tenant   string `json:"tenant"`
	Resource string `json:"resource"`
	ActionID string `json:"actionId"`
}

// ActionRecord is the projection row of one action, written on every
// status change so that the API can list actions without asking Temporal.
type ActionRecord struct {
	ActionID     string          `json:"actionId"`
	Tenant       string          `json:"tenant"`
	Kind         string          `json:"kind"`
	Status       string          `json:"status"`
	StatusReason string          `json:"statusReason,omitempty"`
	Resource     string          `json:"resource"`
	WorkflowID   string          `json:"workflowId"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	Summary      json.RawMessage `json:"summary,omitempty"`
}
