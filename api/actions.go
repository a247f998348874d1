package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// HeaderIdempotencyKey names the header that makes action creation safe to
// repeat.
const HeaderIdempotencyKey = "Idempotency-Key"

var validIdempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,200}$`)

// maxReasonChars limits the free-text reason of an action request.
const maxReasonChars = 2000

// createActionBody is the body of POST /v1/tenants/{tenant}/actions.
type createActionBody struct {
	Kind   string `json:"kind"`
	Params struct {
		SellerID      string          `json:"sellerId"`
		MarketplaceID string          `json:"marketplaceId"`
		SKU           string          `json:"sku"`
		Price         json.RawMessage `json:"price"`
	} `json:"params"`
	Reason string `json:"reason"`
}

// canonicalRequest is the parsed request that the fingerprint covers. It
// holds parsed money, so "19.9" and "19.90" USD are the same request.
type canonicalRequest struct {
	Kind   string                   `json:"kind"`
	Params workflows.PriceSetParams `json:"params"`
	Reason string                   `json:"reason"`
}

// actionList is the body of GET /v1/tenants/{tenant}/actions.
type actionList struct {
	Actions []store.ActionRow `json:"actions"`
	// NextBefore is the before value of the next page; empty on the last.
	NextBefore string `json:"nextBefore,omitempty"`
}

// createAction reserves the idempotency key and starts the action's
// workflow. A repeated request with the same key and body returns the same
// action, and starts its workflow if an earlier start failed.
func (s *Server) createAction(c echo.Context) error {
	p, err := requireRole(c, "request actions", policy.RoleRequester)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()

	key := c.Request().Header.Get(HeaderIdempotencyKey)
	if key == "" {
		return invalid("%s header is missing: send a key that is unique per intended change, such as %s: price-NOTERP-DEMO-001-2026-12-04", HeaderIdempotencyKey, HeaderIdempotencyKey)
	}
	if !validIdempotencyKey.MatchString(key) {
		return invalid("%s header %q is invalid: send 1 to 200 characters of letters, digits, '.', '_', ':' and '-'", HeaderIdempotencyKey, truncate(key, 40))
	}
	req, err := parseCreateAction(c)
	if err != nil {
		return err
	}
	if err := s.checkSeller(c, p.Tenant, req.Params); err != nil {
		return err
	}

	fingerprint, err := fingerprintOf(req)
	if err != nil {
		return internal(err)
	}
	summary, err := json.Marshal(req.Params)
	if err != nil {
		return internal(err)
	}
	row, created, err := s.store.ReserveAction(ctx, store.ActionRequest{
		Tenant:         p.Tenant,
		IdempotencyKey: key,
		Fingerprint:    fingerprint,
		Kind:           req.Kind,
		Resource:       req.Params.Resource(),
		Requester:      p.UserID,
		RequestedAt:    time.Now(),
		Summary:        summary,
	})
	if errors.Is(err, store.ErrIdempotencyConflict) {
		return &Error{
			Status:  http.StatusUnprocessableEntity,
			Code:    CodeIdempotencyConflict,
			Message: fmt.Sprintf("%s %q was already used with a different request: send a new key for a new request, or repeat the original body", HeaderIdempotencyKey, key),
			Err:     err,
		}
	}
	if err != nil {
		return internal(err)
	}

	if created || !row.Started {
		if err := s.startWorkflow(c, row, req, p); err != nil {
			return err
		}
	}

	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, row)
}

// parseCreateAction decodes and validates the request body.
func parseCreateAction(c echo.Context) (canonicalRequest, error) {
	var body createActionBody
	if err := decodeBody(c, &body, "kind, params and reason"); err != nil {
		return canonicalRequest{}, err
	}

	switch body.Kind {
	case workflows.KindListingPriceSet:
	case "":
		return canonicalRequest{}, invalid("kind is missing: send %q", workflows.KindListingPriceSet)
	default:
		return canonicalRequest{}, invalid("kind %q is not supported: use %q", truncate(body.Kind, 60), workflows.KindListingPriceSet)
	}
	if n := utf8.RuneCountInString(body.Reason); n > maxReasonChars {
		return canonicalRequest{}, invalid("reason is %d characters long: shorten it to at most %d", n, maxReasonChars)
	}

	params := workflows.PriceSetParams{SellerID: body.Params.SellerID, MarketplaceID: body.Params.MarketplaceID, SKU: body.Params.SKU}
	if len(body.Params.Price) > 0 && string(body.Params.Price) != "null" {
		if err := json.Unmarshal(body.Params.Price, &params.Price); err != nil {
			return canonicalRequest{}, invalid("params.price is invalid: %v", err)
		}
	}
	if err := params.Validate(); err != nil {
		return canonicalRequest{}, invalid("%v", err)
	}

	return canonicalRequest{Kind: body.Kind, Params: params, Reason: body.Reason}, nil
}

// checkSeller rejects a seller the tenant has not connected, and a
// marketplace outside the connection's list when the list is not empty.
func (s *Server) checkSeller(c echo.Context, tenant string, params workflows.PriceSetParams) error {
	conn, err := s.store.GetSellerConnection(c.Request().Context(), tenant, params.SellerID)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{
			Status:  http.StatusUnprocessableEntity,
			Code:    CodeSellerNotConnected,
			Message: fmt.Sprintf("seller %q is not connected to tenant %s: authorize the seller account first, or check params.sellerId", params.SellerID, tenant),
			Err:     err,
		}
	}
	if err != nil {
		return internal(err)
	}
	if len(conn.MarketplaceIDs) > 0 && !slices.Contains(conn.MarketplaceIDs, params.MarketplaceID) {
		return &Error{
			Status:  http.StatusUnprocessableEntity,
			Code:    CodeSellerNotConnected,
			Message: fmt.Sprintf("marketplace %q is not enabled for seller %s: use one of %s", params.MarketplaceID, params.SellerID, strings.Join(conn.MarketplaceIDs, ", ")),
		}
	}
	return nil
}

// startWorkflow starts the action's workflow and marks the reservation
// started. A workflow that is already running counts as started.
func (s *Server) startWorkflow(c echo.Context, row store.ActionRow, req canonicalRequest, p workflows.Principal) error {
	ctx := c.Request().Context()
	options := client.StartWorkflowOptions{
		ID:                                       row.WorkflowID,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrTenant).ValueSet(row.Tenant),
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrKind).ValueSet(row.Kind),
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrStatus).ValueSet(string(workflows.StatusProposed)),
			temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrResource).ValueSet(row.Resource),
		),
	}
	input := workflows.ActionInput{
		ActionID:       row.ID,
		Tenant:         row.Tenant,
		Kind:           row.Kind,
		IdempotencyKey: row.IdempotencyKey,
		Reason:         req.Reason,
		Params:         req.Params,
		Requester:      p,
		RequestedAt:    row.CreatedAt,
	}

	_, err := s.temporal.ExecuteWorkflow(ctx, options, workflows.WorkflowName, input)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		s.logger.Info("workflow was already started", zap.String("tenant", row.Tenant), zap.String("action_id", row.ID), zap.String("workflow_id", row.WorkflowID))
	case err != nil:
		return &Error{
			Status:  http.StatusServiceUnavailable,
			Code:    CodeUnavailable,
			Message: fmt.Sprintf("action %s was recorded, but its workflow could not be started: repeat the same request with the same %s to retry", row.ID, HeaderIdempotencyKey),
			Err:     fmt.Errorf("start workflow %s: %w", row.WorkflowID, err),
		}
	}

	marked, err := s.store.MarkActionStarted(ctx, row.Tenant, row.ID)
	if err != nil {
		return internal(err)
	}
	if !marked {
		// A concurrent identical request started it and wrote the ledger row.
		return nil
	}
	s.audit(c, row.Tenant, row.ID, p.UserID, "action.started", map[string]any{
		"workflowId":     row.WorkflowID,
		"idempotencyKey": row.IdempotencyKey,
		"kind":           row.Kind,
		"params":         req.Params,
		"reason":         req.Reason,
	})
	return nil
}

// listActions returns a page of the tenant's actions from the projection.
func (s *Server) listActions(c echo.Context) error {
	p, _ := principalOf(c)
	f := store.ListFilter{Before: c.QueryParam("before")}

	if status := c.QueryParam("status"); status != "" {
		st, err := workflows.ParseStatus(status)
		if err != nil {
			return invalid("query parameter %v", err)
		}
		f.Status = string(st)
	}
	if limit := c.QueryParam("limit"); limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > store.MaxListLimit {
			return invalid("query parameter limit %q is invalid: use a whole number from 1 to %d", truncate(limit, 20), store.MaxListLimit)
		}
		f.Limit = n
	}

	rows, err := s.store.ListActions(c.Request().Context(), p.Tenant, f)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("query parameter before %q names no action of tenant %s: pass the nextBefore value of the previous page", truncate(f.Before, 60), p.Tenant)
	}
	if err != nil {
		return internal(err)
	}

	list := actionList{Actions: rows}
	limit := f.Limit
	if limit == 0 {
		limit = store.DefaultListLimit
	}
	if len(rows) == limit {
		list.NextBefore = rows[len(rows)-1].ID
	}
	return c.JSON(http.StatusOK, list)
}

// getAction returns the action's state from its workflow, or from the
// projection when the workflow can't be queried (for example after
// Temporal's retention removed it). The X-NotERP-Source header says which.
func (s *Server) getAction(c echo.Context) error {
	row, err := s.loadAction(c)
	if err != nil {
		return err
	}
	return s.writeState(c, row)
}

// loadAction returns the path's action of the principal's tenant.
func (s *Server) loadAction(c echo.Context) (store.ActionRow, error) {
	p, _ := principalOf(c)
	id := c.Param("id")

	row, err := s.store.GetAction(c.Request().Context(), p.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ActionRow{}, notFound("action %q was not found in tenant %s: check the action id", truncate(id, 60), p.Tenant)
	}
	if err != nil {
		return store.ActionRow{}, internal(err)
	}
	return row, nil
}

func fingerprintOf(req canonicalRequest) (string, error) {
	canonical, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode canonical request: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// truncate shortens user input before it is echoed in a message.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}
