package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// HeaderSource names the response header that says where an action's state
// or history came from: "workflow" or "projection" (state), "ledger"
// (history).
const HeaderSource = "X-NotERP-Source"

// queryState runs the workflow's state query within the update timeout.
func (s *Server) queryState(ctx context.Context, row store.ActionRow) (workflows.ActionState, error) {
	ctx, cancel := context.WithTimeout(ctx, s.updateTimeout)
	defer cancel()

	value, err := s.temporal.QueryWorkflow(ctx, row.WorkflowID, "", workflows.QueryState)
	if err != nil {
		return workflows.ActionState{}, err
	}
	var state workflows.ActionState
	if err := value.Get(&state); err != nil {
		return workflows.ActionState{}, err
	}
	return state, nil
}

// writeState writes the action's state with status. When the query fails
// it writes the state that the projection row holds instead.
func (s *Server) writeState(c echo.Context, row store.ActionRow) error {
	state, err := s.queryState(c.Request().Context(), row)
	if err != nil {
		s.logger.Warn("state query failed, returning the projection row",
			zap.String("tenant", row.Tenant), zap.String("action_id", row.ID),
			zap.String("workflow_id", row.WorkflowID), zap.Error(err))
		c.Response().Header().Set(HeaderSource, "projection")
		return c.JSON(http.StatusOK, stateFromRow(row))
	}
	c.Response().Header().Set(HeaderSource, "workflow")
	return c.JSON(http.StatusOK, state)
}

// stateFromRow builds the part of an ActionState that the projection row
// holds. The summary written at reservation is the action's params.
func stateFromRow(row store.ActionRow) workflows.ActionState {
	state := workflows.ActionState{
		ID:             row.ID,
		WorkflowID:     row.WorkflowID,
		Tenant:         row.Tenant,
		Kind:           row.Kind,
		Status:         workflows.Status(row.Status),
		StatusReason:   row.StatusReason,
		Resource:       row.Resource,
		IdempotencyKey: row.IdempotencyKey,
		Requester:      workflows.Principal{UserID: row.Requester, Tenant: row.Tenant},
		CreatedAt:      row.CreatedAt,
		UpdatedAt:      row.UpdatedAt,
		Approvals:      []workflows.Approval{},
	}
	var params workflows.PriceSetParams
	if len(row.Summary) > 0 && json.Unmarshal(row.Summary, &params) == nil {
		state.Params = params
	}
	return state
}
