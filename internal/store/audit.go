package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// genesisHash is the previous hash of a tenant's first audit row.
var genesisHash = strings.Repeat("0", 64)

// AuditEntry is one event for the append-only audit ledger.
type AuditEntry struct {
	Tenant   string
	ActionID string
	// Actor is the user id that caused the event, or "system".
	Actor string
	// Event names what happened, for example "update.rejected".
	Event string
	// Detail is a JSON object with the event's facts. Empty means {}.
	Detail json.RawMessage
	// At is when the event happened. Zero means now. PostgreSQL keeps
	// microseconds, so the stored time is truncated to them.
	At time.Time
}

// AuditRow is a stored audit ledger row with its place in the hash chain.
type AuditRow struct {
	Tenant   string          `json:"tenant"`
	Seq      int64           `json:"seq"`
	ActionID string          `json:"actionId,omitempty"`
	Actor    string          `json:"actor"`
	Event    string          `json:"event"`
	Detail   json.RawMessage `json:"detail"`
	At       time.Time       `json:"at"`
	PrevHash string          `json:"prevHash"`
	Hash     string          `json:"hash"`
}

// AppendAudit appends e to its tenant's ledger. The new row carries the
// hash of the tenant's previous row, and appends of one tenant are
// serialized by a transaction-scoped advisory lock so the chain never forks.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	if e.Tenant == "" || e.Actor == "" || e.Event == "" {
		return fmt.Errorf("append audit: tenant %q, actor %q and event %q are all required", e.Tenant, e.Actor, e.Event)
	}
	if len(e.Detail) == 0 {
		e.Detail = json.RawMessage(`{}`)
	}
	if !json.Valid(e.Detail) {
		return fmt.Errorf("append audit event %s of tenant %s: detail is not valid JSON", e.Event, e.Tenant)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)

	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('audit_log:' || $1, 0))`, e.Tenant); err != nil {
			return err
		}

		row := AuditRow{Tenant: e.Tenant, ActionID: e.ActionID, Actor: e.Actor, Event: e.Event, At: e.At, Seq: 1, PrevHash: genesisHash}
		err := tx.QueryRow(ctx, `SELECT seq + 1, hash FROM audit_log WHERE tenant = $1 ORDER BY seq DESC LIMIT 1`, e.Tenant).Scan(&row.Seq, &row.PrevHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}

		// Hash the detail as PostgreSQL will return it, because jsonb
		// reorders keys and drops whitespace.
		var detail string
		if err := tx.QueryRow(ctx, `SELECT $1::jsonb::text`, string(e.Detail)).Scan(&detail); err != nil {
			return err
		}
		row.Detail = json.RawMessage(detail)
		row.Hash = auditHash(row)

		_, err = tx.Exec(ctx, `
			INSERT INTO audit_log (tenant, seq, action_id, actor, event, detail, at, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
			row.Tenant, row.Seq, row.ActionID, row.Actor, row.Event, detail, row.At, row.PrevHash, row.Hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit event %s of action %s of tenant %s: %w", e.Event, e.ActionID, e.Tenant, err)
	}
	return nil
}

// ListAudit returns tenant's ledger rows in order, only those of actionID
// when it is not empty.
func (s *Store) ListAudit(ctx context.Context, tenant, actionID string) ([]AuditRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT tenant, seq, action_id, actor, event, detail::text, at, prev_hash, hash
		FROM audit_log WHERE tenant = $1 AND ($2 = '' OR action_id = $2)
		ORDER BY seq`,
		tenant, actionID)
	if err != nil {
		return nil, fmt.Errorf("list audit of tenant %s: %w", tenant, err)
	}
	defer rows.Close()

	list := []AuditRow{}
	for rows.Next() {
		var r AuditRow
		var detail string
		if err := rows.Scan(&r.Tenant, &r.Seq, &r.ActionID, &r.Actor, &r.Event, &detail, &r.At, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("read audit row of tenant %s: %w", tenant, err)
		}
		r.Detail = json.RawMessage(detail)
		r.At = r.At.UTC()
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit of tenant %s: %w", tenant, err)
	}
	return list, nil
}

// VerifyAudit recomputes tenant's hash chain and returns the number of rows
// checked. The first gap, changed row or broken link returns an error that
// names its sequence number.
func (s *Store) VerifyAudit(ctx context.Context, tenant string) (int, error) {
	rows, err := s.ListAudit(ctx, tenant, "")
	if err != nil {
		return 0, err
	}

	prev := genesisHash
	for i, r := range rows {
		if r.Seq != int64(i+1) {
			return i, fmt.Errorf("audit of tenant %s: row %d follows row %d: rows are missing", tenant, r.Seq, i)
		}
		if r.PrevHash != prev {
			return i, fmt.Errorf("audit of tenant %s: row %d names previous hash %s, but row %d has %s", tenant, r.Seq, r.PrevHash, i, prev)
		}
		if want := auditHash(r); r.Hash != want {
			return i, fmt.Errorf("audit of tenant %s: row %d has hash %s, but its content hashes to %s", tenant, r.Seq, r.Hash, want)
		}
		prev = r.Hash
	}
	return len(rows), nil
}

// auditHash returns the hex SHA-256 of r's content and previous hash. The
// fields are encoded as a JSON array of strings, which keeps them apart
// whatever characters they contain.
func auditHash(r AuditRow) string {
	fields := []string{
		r.PrevHash, r.Tenant, strconv.FormatInt(r.Seq, 10), r.ActionID, r.Actor, r.Event,
		r.At.UTC().Format(time.RFC3339Nano), string(r.Detail),
	}
	encoded, _ := json.Marshal(fields)
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:])
}
