package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// AcquireLock takes tenant's lock on resource for actionID. Taking a lock
// the action already holds succeeds. A lock held by another action returns
// an error wrapping ErrLocked that names the holder. Any database error
// also fails the call, so a caller that can't reach PostgreSQL does not
// proceed without the lock.
func (s *Store) AcquireLock(ctx context.Context, tenant, resource, actionID string) error {
	if tenant == "" || resource == "" || actionID == "" {
		return fmt.Errorf("acquire lock: tenant %q, resource %q and action id %q are all required", tenant, resource, actionID)
	}

	var holder string
	err := s.pool.QueryRow(ctx, `
		INSERT INTO resource_locks (tenant, resource, action_id) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, resource) DO UPDATE SET action_id = resource_locks.action_id
		RETURNING action_id`,
		tenant, resource, actionID).Scan(&holder)
	if err != nil {
		return fmt.Errorf("acquire lock on %s of tenant %s for action %s: %w", resource, tenant, actionID, err)
	}
	if holder != actionID {
		return fmt.Errorf("lock on %s of tenant %s is held by action %s, not %s: %w", resource, tenant, holder, actionID, ErrLocked)
	}
	return nil
}

// ReleaseLock frees tenant's lock on resource if actionID holds it;
// otherwise it does nothing.
func (s *Store) ReleaseLock(ctx context.Context, tenant, resource, actionID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM resource_locks WHERE tenant = $1 AND resource = $2 AND action_id = $3`, tenant, resource, actionID)
	if err != nil {
		return fmt.Errorf("release lock on %s of tenant %s for action %s: %w", resource, tenant, actionID, err)
	}
	return nil
}

// LockHolder returns the id of the action that holds tenant's lock on
// resource, or an error wrapping ErrNotFound when no action holds it.
func (s *Store) LockHolder(ctx context.Context, tenant, resource string) (string, error) {
	var holder string
	err := s.pool.QueryRow(ctx, `SELECT action_id FROM resource_locks WHERE tenant = $1 AND resource = $2`, tenant, resource).Scan(&holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("lock on %s of tenant %s: %w", resource, tenant, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("load lock on %s of tenant %s: %w", resource, tenant, err)
	}
	return holder, nil
}
