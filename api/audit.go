package api

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/store"
)

// audit appends an event to the tenant's ledger. A failed append is logged
// and does not fail the request, because the change it records has
// already happened (or been rejected) by then.
func (s *Server) audit(c echo.Context, tenant, actionID, actor, event string, detail map[string]any) {
	encoded, err := json.Marshal(detail)
	if err == nil {
		err = s.store.AppendAudit(c.Request().Context(), store.AuditEntry{
			Tenant: tenant, ActionID: actionID, Actor: actor, Event: event, Detail: encoded,
		})
	}
	if err != nil {
		s.logger.Error("append audit event failed",
			zap.String("tenant", tenant), zap.String("action_id", actionID),
			zap.String("event", event), zap.String("request_id", requestID(c)), zap.Error(err))
	}
}
