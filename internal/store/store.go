// Package store is NotERP's PostgreSQL adapter: the action projection, the
// idempotency record of action requests, users and API tokens, policies,
// seller connections, resource locks, execution marks and the hash-chained
// audit ledger. Every query filters by tenant.
//
// Errors that callers branch on wrap one of the sentinel errors below, so
// use errors.Is:
//
//	if errors.Is(err, store.ErrNotFound) { ... }
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/noterp/noterp/activities"
)

// Sentinel errors wrapped by the Store's methods.
var (
	// ErrLocked means another action holds the resource lock. It is the
	// activities' sentinel, so the lock activity can tell contention from a
	// database failure.
	ErrLocked = activities.ErrLockHeld
	// ErrNotFound means the tenant has no such row.
	ErrNotFound = errors.New("not found")
	// ErrIdempotencyConflict means the idempotency key was used before with
	// a different request.
	ErrIdempotencyConflict = errors.New("idempotency key was used with a different request")
	// ErrUnauthenticated means a bearer token is empty, unknown or revoked.
	ErrUnauthenticated = errors.New("token is invalid or revoked")
)

// Store is NotERP's PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	logger *zap.Logger
}

// Open connects a pool to databaseURL and checks the connection. The
// database must exist and be migrated (see EnsureDatabase and Migrate).
func Open(ctx context.Context, databaseURL string, logger *zap.Logger) (*Store, error) {
	if logger == nil {
		logger = zap.NewNop()
	}

	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL %s: %w", redactURL(databaseURL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s: %w", redactURL(databaseURL), err)
	}

	return &Store{pool: pool, logger: logger}, nil
}

// Close closes every connection of the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that PostgreSQL responds.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping PostgreSQL: %w", err)
	}
	return nil
}
