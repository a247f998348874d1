package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/policy"
)

// productTypeOfferOnly is the product type Amazon's samples send for a
// patch that touches only offer attributes.
const productTypeOfferOnly = "PRODUCT"

// Activities are the governed-action activities. Register one value with
// the worker; its fields are shared by concurrent activity executions.
type Activities struct {
	Listings ListingsAPI
	Store    Store
	// Logger is optional; the activity logger is used when nil.
	Logger *zap.Logger
	// Now is optional and returns the current time (time.Now by default).
	Now func() time.Time
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) logger() *zap.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return zap.NewNop()
}

// readOffer reads the listing with attributes and issues and extracts the
// offer for ref's marketplace.
func (a *Activities) readOffer(ctx context.Context, ref ListingRef) (OfferSnapshot, error) {
	item, resp, err := a.Listings.GetListingsItem(ctx, ref.SellerID, ref.SKU, spapi.GetListingsItemOptions{
		MarketplaceIDs: []string{ref.MarketplaceID},
		IncludedData:   []string{"summaries", "attributes", "issues", "offers"},
	})
	if err != nil {
		return OfferSnapshot{}, classify(fmt.Errorf("read listing %s of seller %s in %s: %w", ref.SKU, ref.SellerID, ref.MarketplaceID, err))
	}

	snap := OfferSnapshot{
		ProductType: productTypeOfferOnly,
		ObservedAt:  a.now().UTC(),
		Issues:      convertIssues(item.Issues),
		Response:    AmazonResponse{Operation: "getListingsItem", HTTPStatus: resp.StatusCode, RequestID: resp.RequestID},
	}
	for _, s := range item.Summaries {
		if s.MarketplaceID == ref.MarketplaceID && s.ProductType != "" {
			snap.ProductType = s.ProductType
		}
	}

	attr := item.Attributes[listing.AttributePurchasableOffer]
	price, err := listing.OurPrice(attr, ref.MarketplaceID)
	if err != nil {
		return OfferSnapshot{}, nonRetryable(ErrTypeOfferNotFound, fmt.Errorf("listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}
	snap.PurchasableOffer = compact(attr)
	snap.OurPrice = price
	return snap, nil
}

// SnapshotOffer reads the listing's current offer for the proposal.
func (a *Activities) SnapshotOffer(ctx context.Context, ref ListingRef) (OfferSnapshot, error) {
	return a.readOffer(ctx, ref)
}

// ReadPrice reads the listing's price back during verification.
func (a *Activities) ReadPrice(ctx context.Context, ref ListingRef) (Observation, error) {
	snap, err := a.readOffer(ctx, ref)
	if err != nil {
		return Observation{}, err
	}
	return Observation{OurPrice: snap.OurPrice, Issues: snap.Issues, ObservedAt: snap.ObservedAt, Response: snap.Response}, nil
}

// patchBody builds the replace patch that sends the whole purchasable_offer
// attribute with the target price.
func patchBody(productType string, offer json.RawMessage) spapi.PatchRequest {
	return spapi.PatchRequest{
		ProductType: productType,
		Patches: []spapi.PatchOperation{{
			Op:    "replace",
			Path:  "/attributes/" + listing.AttributePurchasableOffer,
			Value: offer,
		}},
	}
}

// PreviewPrice sends the change with mode=VALIDATION_PREVIEW, so Amazon
// validates it without applying it. The result is advisory evidence.
func (a *Activities) PreviewPrice(ctx context.Context, change PriceChange) (PreviewResult, error) {
	ref := change.Listing
	offer, err := listing.SetOurPrice(change.Snapshot.PurchasableOffer, ref.MarketplaceID, change.Target)
	if err != nil {
		return PreviewResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}

	sub, resp, err := a.Listings.PatchListingsItem(ctx, ref.SellerID, ref.SKU, patchBody(change.Snapshot.ProductType, offer), spapi.PatchListingsItemOptions{
		MarketplaceIDs: []string{ref.MarketplaceID},
		Mode:           "VALIDATION_PREVIEW",
	})
	if err != nil {
		return PreviewResult{}, classify(fmt.Errorf("preview price of listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}
	return PreviewResult{Status: sub.Status, Issues: convertIssues(sub.Issues), Response: submissionResponse("patchListingsItem:VALIDATION_PREVIEW", resp, sub)}, nil
}

// ApplyPrice writes the target price exactly once in effect:
//   - it reads the offer first; a price already at the target is recorded
//     as already applied and nothing is written;
//   - an offer that differs from the proposal's snapshot in any field ends
//     the action as stale, because the approval was given for other facts;
//   - a durable execution record is stored before the write, so that a
//     retry after a lost answer does not send the write a second time.
func (a *Activities) ApplyPrice(ctx context.Context, change PriceChange) (ApplyResult, error) {
	ref := change.Listing
	log := a.logger().With(zap.String("tenant", ref.Tenant), zap.String("seller_id", ref.SellerID), zap.String("sku", ref.SKU))
	actionID := change.ActionID

	before, err := a.readOffer(ctx, ref)
	if err != nil {
		return ApplyResult{}, err
	}
	result := ApplyResult{Before: before}

	if before.OurPrice.Equal(change.Target) {
		result.Outcome = OutcomeAlreadyApplied
		result.Reason = fmt.Sprintf("the price already shows %s", change.Target)
		log.Info("Price already at target; nothing written", zap.String("target", change.Target.String()))
		return result, nil
	}
	if !listing.Equal(before.PurchasableOffer, change.Snapshot.PurchasableOffer) {
		result.Outcome = OutcomeStale
		result.Reason = fmt.Sprintf("the offer changed since the proposal (price then %s, now %s): propose the change again", change.Snapshot.OurPrice, before.OurPrice)
		return result, nil
	}

	offer, err := listing.SetOurPrice(before.PurchasableOffer, ref.MarketplaceID, change.Target)
	if err != nil {
		return ApplyResult{}, nonRetryable(ErrTypeInvalidInput, fmt.Errorf("listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}

	prior, err := a.Store.BeginExecution(ctx, ref.Tenant, actionID)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("store execution record of %s: %w", actionID, err)
	}
	if prior != nil {
		result.Outcome = OutcomeSubmissionUnknown
		result.Reason = "an earlier attempt already began the write; it is not sent again and verification decides whether it took effect"
		if prior.State == "sent" {
			result.Outcome = OutcomeSubmitted
			result.Reason = ""
			result.Response = &AmazonResponse{Operation: "patchListingsItem", HTTPStatus: prior.HTTPStatus, RequestID: prior.RequestID, SubmissionID: prior.SubmissionID, Status: prior.Status}
		}
		log.Warn("Execution record found from an earlier attempt; not writing again", zap.String("action_id", actionID), zap.String("state", prior.State))
		return result, nil
	}
	result.Sent = offer

	stop := heartbeatUntilDone(ctx)
	sub, resp, err := a.Listings.PatchListingsItem(ctx, ref.SellerID, ref.SKU, patchBody(before.ProductType, offer), spapi.PatchListingsItemOptions{
		MarketplaceIDs: []string{ref.MarketplaceID},
	})
	stop()
	if err != nil && answerLost(err) {
		// Amazon may have received the write, so the record stays
		// "sending" and a retry leaves the outcome to verification.
		log.Warn("Response to the price write lost; the write will not be sent again", zap.String("action_id", actionID), zap.Error(err))
		return ApplyResult{}, classify(fmt.Errorf("patch price of listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}
	if err != nil {
		// Nothing took effect when Amazon responded with an error, so the
		// record is marked failed to let the retry send the write.
		rec := ExecutionRecord{ActionID: actionID, Tenant: ref.Tenant, State: "failed", HTTPStatus: statusOf(err)}
		if ferr := a.Store.FinishExecution(ctx, rec); ferr != nil {
			log.Error("Storing the failed execution failed", zap.Error(ferr))
		}
		return ApplyResult{}, classify(fmt.Errorf("patch price of listing %s of seller %s: %w", ref.SKU, ref.SellerID, err))
	}

	response := submissionResponse("patchListingsItem", resp, sub)
	result.Response = &response
	rec := ExecutionRecord{ActionID: actionID, Tenant: ref.Tenant, State: "sent", HTTPStatus: resp.StatusCode, RequestID: resp.RequestID, SubmissionID: sub.SubmissionID, Status: sub.Status}
	if err := a.Store.FinishExecution(ctx, rec); err != nil {
		log.Error("Storing Amazon's response failed; the write was sent", zap.String("amazon_request_id", resp.RequestID), zap.Error(err))
	}

	if sub.Status != "ACCEPTED" || hasError(sub.Issues) {
		result.Outcome = OutcomeRejectedByAmazon
		result.Reason = fmt.Sprintf("patchListingsItem answered %s: %s", sub.Status, SummarizeIssues(convertIssues(sub.Issues)))
		return result, nil
	}
	result.Outcome = OutcomeSubmitted
	log.Info("Price change submitted", zap.String("amazon_request_id", resp.RequestID), zap.String("submission_id", sub.SubmissionID))
	return result, nil
}

// LoadPolicy returns the tenant's newest policy for kind, normalized.
func (a *Activities) LoadPolicy(ctx context.Context, req PolicyRequest) (policy.Policy, error) {
	p, err := a.Store.LoadPolicy(ctx, req.Tenant, req.Kind)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("load policy of tenant %s for %s: %w", req.Tenant, req.Kind, err)
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return policy.Policy{}, nonRetryable(ErrTypeInvalidInput, err)
	}
	return p, nil
}

// heartbeatUntilDone records a heartbeat every second until the returned
// function is called, so a worker that dies during a slow Amazon call is
// detected by the heartbeat timeout.
func heartbeatUntilDone(ctx context.Context) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

func submissionResponse(op string, resp spapi.Response, sub *spapi.SubmissionResponse) AmazonResponse {
	return AmazonResponse{
		Operation:    op,
		HTTPStatus:   resp.StatusCode,
		RequestID:    resp.RequestID,
		SubmissionID: sub.SubmissionID,
		Status:       sub.Status,
		Issues:       convertIssues(sub.Issues),
	}
}

func convertIssues(in []spapi.Issue) []Issue {
	if len(in) == 0 {
		return nil
	}
	out := make([]Issue, len(in))
	for i, is := range in {
		out[i] = Issue{Code: is.Code, Message: is.Message, Severity: is.Severity, AttributeNames: is.AttributeNames, Categories: is.Categories}
	}
	return out
}

func hasError(issues []spapi.Issue) bool {
	for _, is := range issues {
		if is.Severity == "ERROR" {
			return true
		}
	}
	return false
}

// SummarizeIssues formats issues for a status reason, one "SEVERITY code:
// message" each, separated by semicolons.
func SummarizeIssues(issues []Issue) string {
	if len(issues) == 0 {
		return "no issues given"
	}
	parts := make([]string, len(issues))
	for i, is := range issues {
		parts[i] = fmt.Sprintf("%s %s: %s", is.Severity, is.Code, is.Message)
	}
	return strings.Join(parts, "; ")
}

func statusOf(err error) int {
	var apiErr *spapi.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// compact removes insignificant white space so snapshots compare and hash
// the same however Amazon formatted them.
func compact(v json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return v
	}
	return buf.Bytes()
}
