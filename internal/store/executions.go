package store

import (
	"context"
	"fmt"

	"github.com/noterp/noterp/activities"
)

// Execution record states.
const (
	ExecutionSending = "sending"
	ExecutionSent    = "sent"
	ExecutionFailed  = "failed"
)

// BeginExecution stores a "sending" record for tenant's actionID and
// returns nil. If a "sending" or "sent" record exists, it stores nothing
// and returns that record. A "failed" record, left when Amazon responded
// with an error and so nothing took effect, is replaced. Of
// concurrent callers exactly one gets nil.
func (s *Store) BeginExecution(ctx context.Context, tenant, actionID string) (*activities.ExecutionRecord, error) {
	if tenant == "" || actionID == "" {
		return nil, fmt.Errorf("begin execution: tenant %q and action id %q are both required", tenant, actionID)
	}

	tag, err := s.pool.Exec(ctx, `
		INSERT INTO executions (tenant, action_id, state) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, action_id) DO UPDATE
			SET state = EXCLUDED.state, http_status = 0, request_id = '', submission_id = '', status = '',
				started_at = now(), finished_at = NULL
			WHERE executions.state = $4`,
		tenant, actionID, ExecutionSending, ExecutionFailed)
	if err != nil {
		return nil, fmt.Errorf("begin execution of action %s of tenant %s: %w", actionID, tenant, err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}

	rec := activities.ExecutionRecord{Tenant: tenant, ActionID: actionID}
	err = s.pool.QueryRow(ctx, `
		SELECT state, http_status, request_id, submission_id, status
		FROM executions WHERE tenant = $1 AND action_id = $2`,
		tenant, actionID).Scan(&rec.State, &rec.HTTPStatus, &rec.RequestID, &rec.SubmissionID, &rec.Status)
	if err != nil {
		return nil, fmt.Errorf("load execution of action %s of tenant %s: %w", actionID, tenant, err)
	}
	return &rec, nil
}

// FinishExecution stores Amazon's response on the action's execution record,
// creating the record if BeginExecution was never called. An empty State
// is stored as "sent".
func (s *Store) FinishExecution(ctx context.Context, rec activities.ExecutionRecord) error {
	if rec.Tenant == "" || rec.ActionID == "" {
		return fmt.Errorf("finish execution: tenant %q and action id %q are both required", rec.Tenant, rec.ActionID)
	}
	if rec.State == "" {
		rec.State = ExecutionSent
	}

	_, err := s.pool.Exec(ctx, `
		INSERT INTO executions (tenant, action_id, state, http_status, request_id, submission_id, status, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, now())
		ON CONFLICT (tenant, action_id) DO UPDATE SET
			state = EXCLUDED.state,
			http_status = EXCLUDED.http_status,
			request_id = EXCLUDED.request_id,
			submission_id = EXCLUDED.submission_id,
			status = EXCLUDED.status,
			finished_at = EXCLUDED.finished_at`,
		rec.Tenant, rec.ActionID, rec.State, rec.HTTPStatus, rec.RequestID, rec.SubmissionID, rec.Status)
	if err != nil {
		return fmt.Errorf("finish execution of action %s of tenant %s: %w", rec.ActionID, rec.Tenant, err)
	}
	return nil
}
