// Package workflows holds the GovernedAction workflow: its input, the state
// it exposes through the "state" query, the Updates people use to approve,
// reject, cancel and review it, and the workflow function itself.
//
// The workflow code is deterministic: time comes from workflow.Now, waits
// from workflow timers, and every call to Amazon or PostgreSQL runs in an
// activity (package activities).
package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/policy"
)

// TaskQueue is the task queue of governed-action workflows and activities.
const TaskQueue = "governed-actions"

// WorkflowName is the registered name of the GovernedAction workflow.
const WorkflowName = "GovernedAction"

// Names of the query and the Updates of GovernedAction.
const (
	QueryState    = "state"
	UpdateApprove = "approve"
	UpdateReject  = "reject"
	UpdateCancel  = "cancel"
	UpdateReview  = "review"
)

// Search attributes upserted by the workflow. They carry identifiers only,
// because the payload codec does not encrypt them.
const (
	SearchAttrTenant   = "NotERPTenant"
	SearchAttrKind     = "NotERPKind"
	SearchAttrStatus   = "NotERPStatus"
	SearchAttrResource = "NotERPResource"
)

// KindListingPriceSet sets a listing's price in one marketplace.
const KindListingPriceSet = "listing.price.set"

// WorkflowID returns the workflow id of the action that tenant started with
// idempotencyKey: "action:<tenant>:<idempotency key>".
func WorkflowID(tenant, idempotencyKey string) string {
	return "action:" + tenant + ":" + idempotencyKey
}

// Status is the stage of an action in its lifecycle.
type Status string

// Statuses of an action. The main path runs proposed → pending_approval →
// approved → executing → verifying → in_review → closed; the others end it.
const (
	StatusProposed        Status = "proposed"
	StatusPendingApproval Status = "pending_approval"
	StatusApproved        Status = "approved"
	StatusExecuting       Status = "executing"
	StatusVerifying       Status = "verifying"
	StatusInReview        Status = "in_review"
	StatusClosed          Status = "closed"
	StatusBlocked         Status = "blocked"
	StatusRejected        Status = "rejected"
	StatusExpired         Status = "expired"
	StatusCancelled       Status = "cancelled"
	StatusStale           Status = "stale"
	StatusFailed          Status = "failed"
)

// AllStatuses lists every status, in lifecycle order.
var AllStatuses = []Status{
	StatusProposed, StatusPendingApproval, StatusApproved, StatusExecuting,
	StatusVerifying, StatusInReview, StatusClosed, StatusBlocked, StatusRejected,
	StatusExpired, StatusCancelled, StatusStale, StatusFailed,
}

// Terminal reports whether s ends the action.
func (s Status) Terminal() bool {
	switch s {
	case StatusClosed, StatusBlocked, StatusRejected, StatusExpired, StatusCancelled, StatusStale, StatusFailed:
		return true
	}
	return false
}

// ParseStatus checks that s names a status.
func ParseStatus(s string) (Status, error) {
	if slices.Contains(AllStatuses, Status(s)) {
		return Status(s), nil
	}
	names := make([]string, len(AllStatuses))
	for i, st := range AllStatuses {
		names[i] = string(st)
	}
	return "", fmt.Errorf("status %q is unknown: use one of %s", s, strings.Join(names, ", "))
}

// Principal is the authenticated person behind a request. Temporal's own
// identity field names a process, so the API puts the principal into every
// start and Update payload.
type Principal struct {
	UserID string   `json:"userId"`
	Tenant string   `json:"tenant"`
	Roles  []string `json:"roles"`
}

// HasRole reports whether p holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// PriceSetParams are the parameters of listing.price.set.
type PriceSetParams struct {
	SellerID      string      `json:"sellerId"`
	MarketplaceID string      `json:"marketplaceId"`
	SKU           string      `json:"sku"`
	Price         money.Money `json:"price"`
}

// Validate reports the first missing or invalid parameter.
func (p PriceSetParams) Validate() error {
	switch {
	case strings.TrimSpace(p.SellerID) == "":
		return fmt.Errorf("params.sellerId is missing: send the seller's SP-API selling partner id")
	case strings.TrimSpace(p.MarketplaceID) == "":
		return fmt.Errorf("params.marketplaceId is missing: send an Amazon marketplace id such as ATVPDKIKX0DER")
	case p.SKU == "":
		return fmt.Errorf("params.sku is missing: send the seller SKU of the listing")
	case utf8.RuneCountInString(p.SKU) > 200:
		return fmt.Errorf("params.sku is %d characters long: Amazon SKUs have at most 200", utf8.RuneCountInString(p.SKU))
	case p.Price.IsZero():
		return fmt.Errorf("params.price is missing: send {\"amount\":\"19.99\",\"currency\":\"USD\"}")
	case !p.Price.Amount.IsPositive():
		return fmt.Errorf("params.price.amount %s is not positive: send a price above zero", p.Price.Text())
	}
	if want, ok := marketplaceCurrency[p.MarketplaceID]; ok && want != p.Price.Currency {
		return fmt.Errorf("params.price.currency %q does not match marketplace %s, which sells in %s: send the price in %s", p.Price.Currency, p.MarketplaceID, want, want)
	}
	return nil
}

// Resource returns the id of the listing the action writes, used for locks
// and the NotERPResource search attribute.
func (p PriceSetParams) Resource() string {
	return "listing:" + p.SellerID + ":" + p.MarketplaceID + ":" + p.SKU
}

// marketplaceCurrency maps Amazon marketplace ids to the currency their
// offers are priced in (Amazon's marketplace id table).
var marketplaceCurrency = map[string]string{
	"ATVPDKIKX0DER":  "USD", // US
	"A2EUQ1WTGCTBG2": "CAD", // CA
	"A1AM78C64UM0Y8": "MXN", // MX
	"A2Q3Y263D00KWC": "BRL", // BR
	"A1F83G8C2ARO7P": "GBP", // UK
	"A1PA6795UKMFR9": "EUR", // DE
	"A13V1IB3VIYZZH": "EUR", // FR
	"APJ6JRA9NG5V4":  "EUR", // IT
	"A1RKKUPIHCS9HS": "EUR", // ES
	"A1805IZSGTT6HS": "EUR", // NL
	"AMEN7PMS3EDWL":  "EUR", // BE
	"A1C3SOZRARQ6R3": "PLN", // PL
	"A2NODRKZP88ZB9": "SEK", // SE
	"A33AVAJ2PDY3EV": "TRY", // TR
	"A2VIGQ35RCS4UG": "AED", // AE
	"A17E79C6D8DWNP": "SAR", // SA
	"ARBP9OOSHTCHU":  "EGP", // EG
	"A21TJRUUN4KGV":  "INR", // IN
	"AE08WJ6YKNBMC":  "ZAR", // ZA
	"A1VC38T7YXB528": "JPY", // JP
	"A39IBJ37TRP1C6": "AUD", // AU
	"A19VAU5U5O7RUS": "SGD", // SG
}

// ActionInput starts a GovernedAction.
type ActionInput struct {
	ActionID       string         `json:"actionId"`
	Tenant         string         `json:"tenant"`
	Kind           string         `json:"kind"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Reason         string         `json:"reason"`
	Params         PriceSetParams `json:"params"`
	Requester      Principal      `json:"requester"`
	RequestedAt    time.Time      `json:"requestedAt"`
}

// ApproveInput is the payload of the approve Update.
type ApproveInput struct {
	Actor        Principal `json:"actor"`
	ProposalHash string    `json:"proposalHash"`
	Comment      string    `json:"comment"`
}

// DecisionInput is the payload of the reject and cancel Updates.
type DecisionInput struct {
	Actor   Principal `json:"actor"`
	Comment string    `json:"comment"`
}

// Review verdicts.
const (
	VerdictEffective   = "effective"
	VerdictIneffective = "ineffective"
	VerdictHarmful     = "harmful"
)

// ReviewInput is the payload of the review Update.
type ReviewInput struct {
	Actor   Principal `json:"actor"`
	Verdict string    `json:"verdict"`
	Comment string    `json:"comment"`
}

// Proposal is the evidence an approver judges.
type Proposal struct {
	// Hash is the SHA-256 of the proposal's canonical JSON without the hash;
	// an approval names it so it can't apply to a different proposal.
	Hash          string                   `json:"hash"`
	Snapshot      activities.OfferSnapshot `json:"snapshot"`
	Current       money.Money              `json:"current"`
	Target        money.Money              `json:"target"`
	ChangePercent string                   `json:"changePercent"`
	// Preview is Amazon's VALIDATION_PREVIEW result: advisory evidence only.
	Preview    *activities.PreviewResult `json:"preview,omitempty"`
	Policy     policy.Decision           `json:"policy"`
	ProposedAt time.Time                 `json:"proposedAt"`
	// ApprovalDeadline is when an unapproved action expires.
	ApprovalDeadline time.Time `json:"approvalDeadline"`
}

// Approval is one accepted approve Update.
type Approval struct {
	Actor        Principal `json:"actor"`
	ProposalHash string    `json:"proposalHash"`
	Comment      string    `json:"comment,omitempty"`
	At           time.Time `json:"at"`
}

// Decision is an accepted reject or cancel Update.
type Decision struct {
	Actor   Principal `json:"actor"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Execution is the record of applying the change to Amazon.
type Execution struct {
	StartedAt  time.Time               `json:"startedAt"`
	FinishedAt time.Time               `json:"finishedAt"`
	Result     *activities.ApplyResult `json:"result,omitempty"`
	Error      string                  `json:"error,omitempty"`
}

// Verification outcomes.
const (
	VerificationVerified   = "verified"
	VerificationNotApplied = "not_applied"
)

// Verification is the read-back after execution.
type Verification struct {
	Outcome string                  `json:"outcome"`
	Checks  int                     `json:"checks"`
	Last    *activities.Observation `json:"last,omitempty"`
	Error   string                  `json:"error,omitempty"`
}

// ReviewState is the outcome review: the window, its deadline and the verdict.
type ReviewState struct {
	OpensAt    time.Time  `json:"opensAt"`
	DeadlineAt time.Time  `json:"deadlineAt"`
	Open       bool       `json:"open"`
	Verdict    string     `json:"verdict,omitempty"`
	Comment    string     `json:"comment,omitempty"`
	Reviewer   *Principal `json:"reviewer,omitempty"`
	At         *time.Time `json:"at,omitempty"`
	// NoVerdict is true when the review deadline passed without a verdict.
	NoVerdict bool `json:"noVerdict,omitempty"`
}

// ActionState is the whole state of one action, returned by the state query.
type ActionState struct {
	ID             string         `json:"id"`
	WorkflowID     string         `json:"workflowId"`
	Tenant         string         `json:"tenant"`
	Kind           string         `json:"kind"`
	Status         Status         `json:"status"`
	StatusReason   string         `json:"statusReason,omitempty"`
	Resource       string         `json:"resource"`
	IdempotencyKey string         `json:"idempotencyKey"`
	Reason         string         `json:"reason,omitempty"`
	Params         PriceSetParams `json:"params"`
	Requester      Principal      `json:"requester"`
	CreatedAt      time.Time      `json:"createdAt"`
	UpdatedAt      time.Time      `json:"updatedAt"`

	Proposal     *Proposal     `json:"proposal,omitempty"`
	Approvals    []Approval    `json:"approvals"`
	Rejection    *Decision     `json:"rejection,omitempty"`
	Cancellation *Decision     `json:"cancellation,omitempty"`
	Execution    *Execution    `json:"execution,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
	Review       *ReviewState  `json:"review,omitempty"`
}
