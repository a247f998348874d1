package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/workflows"
)

// ActionRequest is one request to start an action, as ReserveAction
// records it.
type ActionRequest struct {
	Tenant         string
	IdempotencyKey string
	// Fingerprint is the SHA-256 of the canonical request. A repeated key
	// must come with the same fingerprint.
	Fingerprint string
	Kind        string
	Resource    string
	// Requester is the user id of the principal who sent the request.
	Requester string
	// RequestedAt is the creation time of the projection row. Zero means now.
	RequestedAt time.Time
	// Summary is a small JSON object shown in action lists (optional).
	Summary json.RawMessage
}

// ActionRow is the projection row of one action.
type ActionRow struct {
	ID             string          `json:"id"`
	Tenant         string          `json:"tenant"`
	Kind           string          `json:"kind"`
	Status         string          `json:"status"`
	StatusReason   string          `json:"statusReason,omitempty"`
	Resource       string          `json:"resource"`
	WorkflowID     string          `json:"workflowId"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Requester      string          `json:"requester,omitempty"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
	Summary        json.RawMessage `json:"summary,omitempty"`
	// Started reports whether Temporal accepted the workflow start. It is
	// false for a reservation whose start failed.
	Started bool `json:"-"`
}

// ListFilter selects actions for ListActions.
type ListFilter struct {
	// Status keeps only actions with this status. Empty keeps all.
	Status string
	// Limit is the page size: 1 to MaxListLimit, 0 means DefaultListLimit.
	Limit int
	// Before is the id of the last action of the previous page; the page
	// starts after it. Empty starts with the newest action.
	Before string
}

// Page sizes of ListActions.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// actionColumns selects an ActionRow from actions a joined with
// action_requests r.
const actionColumns = `a.id, a.tenant, a.kind, a.status, a.status_reason, a.resource, a.workflow_id,
	COALESCE(r.idempotency_key, ''), a.requester, a.created_at, a.updated_at, a.summary, r.started_at IS NOT NULL`

const actionFrom = `actions a LEFT JOIN action_requests r ON r.tenant = a.tenant AND r.action_id = a.id`

// ReserveAction records a request and its projection row (status
// "proposed") in one transaction and returns the row with created=true.
// If the tenant used the key before with the same fingerprint, it returns
// the existing row with created=false. With another fingerprint it returns
// an error wrapping ErrIdempotencyConflict. Of concurrent identical
// requests exactly one creates the row.
func (s *Store) ReserveAction(ctx context.Context, r ActionRequest) (ActionRow, bool, error) {
	if r.Tenant == "" || r.IdempotencyKey == "" || r.Fingerprint == "" || r.Kind == "" {
		return ActionRow{}, false, fmt.Errorf("reserve action: tenant %q, idempotency key %q, fingerprint and kind %q are all required", r.Tenant, r.IdempotencyKey, r.Kind)
	}
	if r.RequestedAt.IsZero() {
		r.RequestedAt = time.Now()
	}
	actionID, err := newActionID()
	if err != nil {
		return ActionRow{}, false, err
	}
	workflowID := workflows.WorkflowID(r.Tenant, r.IdempotencyKey)

	var created bool
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A concurrent transaction with the same key makes this insert wait
		// until that one commits, then do nothing.
		tag, err := tx.Exec(ctx, `
			INSERT INTO action_requests (tenant, idempotency_key, fingerprint, action_id, workflow_id)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant, idempotency_key) DO NOTHING`,
			r.Tenant, r.IdempotencyKey, r.Fingerprint, actionID, workflowID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}

		created = true
		_, err = tx.Exec(ctx, `
			INSERT INTO actions (tenant, id, kind, status, resource, workflow_id, requester, created_at, updated_at, summary)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
			r.Tenant, actionID, r.Kind, string(workflows.StatusProposed), r.Resource, workflowID, r.Requester, r.RequestedAt, nullJSON(r.Summary))
		return err
	})
	if err != nil {
		return ActionRow{}, false, fmt.Errorf("reserve action for idempotency key %q of tenant %s: %w", r.IdempotencyKey, r.Tenant, err)
	}
	if created {
		row, err := s.GetAction(ctx, r.Tenant, actionID)
		return row, true, err
	}

	var fingerprint, existingID string
	err = s.pool.QueryRow(ctx, `
		SELECT fingerprint, action_id FROM action_requests
		WHERE tenant = $1 AND idempotency_key = $2`,
		r.Tenant, r.IdempotencyKey).Scan(&fingerprint, &existingID)
	if err != nil {
		return ActionRow{}, false, fmt.Errorf("load request for idempotency key %q of tenant %s: %w", r.IdempotencyKey, r.Tenant, err)
	}
	if fingerprint != r.Fingerprint {
		return ActionRow{}, false, fmt.Errorf("idempotency key %q of tenant %s, used by action %s: %w", r.IdempotencyKey, r.Tenant, existingID, ErrIdempotencyConflict)
	}
	row, err := s.GetAction(ctx, r.Tenant, existingID)
	return row, false, err
}

// MarkActionStarted records that Temporal accepted the workflow start of
// tenant's action. It returns true if this call made the mark, and false
// if an earlier call did.
func (s *Store) MarkActionStarted(ctx context.Context, tenant, actionID string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE action_requests SET started_at = now()
		WHERE tenant = $1 AND action_id = $2 AND started_at IS NULL`,
		tenant, actionID)
	if err != nil {
		return false, fmt.Errorf("mark action %s of tenant %s started: %w", actionID, tenant, err)
	}
	return tag.RowsAffected() == 1, nil
}

// GetAction returns tenant's action actionID. An action of another tenant
// is not found: the error wraps ErrNotFound.
func (s *Store) GetAction(ctx context.Context, tenant, actionID string) (ActionRow, error) {
	row, err := scanAction(s.pool.QueryRow(ctx, `SELECT `+actionColumns+` FROM `+actionFrom+` WHERE a.tenant = $1 AND a.id = $2`, tenant, actionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return ActionRow{}, fmt.Errorf("action %s of tenant %s: %w", actionID, tenant, ErrNotFound)
	}
	if err != nil {
		return ActionRow{}, fmt.Errorf("load action %s of tenant %s: %w", actionID, tenant, err)
	}
	return row, nil
}

// ListActions returns a page of tenant's actions, newest first. A Before
// id the tenant does not have returns an error wrapping ErrNotFound.
func (s *Store) ListActions(ctx context.Context, tenant string, f ListFilter) ([]ActionRow, error) {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultListLimit
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return nil, fmt.Errorf("limit %d is out of range: use 1 to %d", f.Limit, MaxListLimit)
	}

	query := `SELECT ` + actionColumns + ` FROM ` + actionFrom + ` WHERE a.tenant = $1 AND ($2 = '' OR a.status = $2)`
	args := []any{tenant, f.Status, f.Limit}
	if f.Before != "" {
		cursor, err := s.GetAction(ctx, tenant, f.Before)
		if err != nil {
			return nil, fmt.Errorf("list actions before %s: %w", f.Before, err)
		}
		query += ` AND (a.created_at, a.id) < ($4, $5)`
		args = append(args, cursor.CreatedAt, cursor.ID)
	}
	query += ` ORDER BY a.created_at DESC, a.id DESC LIMIT $3`

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list actions of tenant %s: %w", tenant, err)
	}
	defer rows.Close()

	list := []ActionRow{}
	for rows.Next() {
		row, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("read action of tenant %s: %w", tenant, err)
		}
		list = append(list, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list actions of tenant %s: %w", tenant, err)
	}
	return list, nil
}

// RecordAction upserts the projection row written by the workflow. A record
// whose UpdatedAt is older than the last one recorded is ignored, so a
// delayed activity retry cannot move the status back.
func (s *Store) RecordAction(ctx context.Context, rec activities.ActionRecord) error {
	if rec.Tenant == "" || rec.ActionID == "" || rec.Status == "" {
		return fmt.Errorf("record action: tenant %q, action id %q and status %q are all required", rec.Tenant, rec.ActionID, rec.Status)
	}
	if rec.UpdatedAt.IsZero() {
		return fmt.Errorf("record action %s of tenant %s: updatedAt is missing: set it from workflow.Now", rec.ActionID, rec.Tenant)
	}

	tag, err := s.pool.Exec(ctx, `
		INSERT INTO actions (tenant, id, kind, status, status_reason, resource, workflow_id, created_at, updated_at, recorded_at, summary)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $9)
		ON CONFLICT (tenant, id) DO UPDATE SET
			status = EXCLUDED.status,
			status_reason = EXCLUDED.status_reason,
			resource = CASE WHEN EXCLUDED.resource = '' THEN actions.resource ELSE EXCLUDED.resource END,
			updated_at = EXCLUDED.updated_at,
			recorded_at = EXCLUDED.recorded_at,
			summary = COALESCE(EXCLUDED.summary, actions.summary)
		WHERE actions.recorded_at IS NULL OR actions.recorded_at <= EXCLUDED.recorded_at`,
		rec.Tenant, rec.ActionID, rec.Kind, rec.Status, rec.StatusReason, rec.Resource, rec.WorkflowID, rec.UpdatedAt, nullJSON(rec.Summary))
	if err != nil {
		return fmt.Errorf("record status %s of action %s of tenant %s: %w", rec.Status, rec.ActionID, rec.Tenant, err)
	}
	if tag.RowsAffected() == 0 {
		s.logger.Info("ignored an older action status",
			zap.String("tenant", rec.Tenant), zap.String("action_id", rec.ActionID),
			zap.String("status", rec.Status), zap.Time("updated_at", rec.UpdatedAt))
	}
	return nil
}

func scanAction(row pgx.Row) (ActionRow, error) {
	var a ActionRow
	var summary []byte
	err := row.Scan(&a.ID, &a.Tenant, &a.Kind, &a.Status, &a.StatusReason, &a.Resource, &a.WorkflowID,
		&a.IdempotencyKey, &a.Requester, &a.CreatedAt, &a.UpdatedAt, &summary, &a.Started)
	if len(summary) > 0 {
		a.Summary = summary
	}
	return a, err
}

// newActionID returns a random action id: "act_" and 32 hex digits.
func newActionID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate action id: %w", err)
	}
	return "act_" + hex.EncodeToString(b), nil
}

// nullJSON returns nil for an empty document, so the column stores NULL.
func nullJSON(doc json.RawMessage) any {
	if len(doc) == 0 {
		return nil
	}
	return []byte(doc)
}
