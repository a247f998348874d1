// Package activitiestest provides an in-memory activities.Store for tests
// of the activities and of the workflow, so they need no PostgreSQL.
package activitiestest

import (
	"context"
	"fmt"
	"sync"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/policy"
)

// Store is an in-memory activities.Store. It is safe for concurrent use.
// Its locks and execution records follow the PostgreSQL store's rules: a
// lock held by another action wraps activities.ErrLockHeld, and
// BeginExecution replaces only a "failed" record.
type Store struct {
	mu sync.Mutex
	// Policy is returned by LoadPolicy with the requested tenant and kind.
	Policy policy.Policy
	// BeginErr, when set, is returned by BeginExecution.
	BeginErr error

	records    []activities.ActionRecord
	locks      map[string]string
	executions map[string]activities.ExecutionRecord
}

// NewStore returns an empty Store that serves p as every tenant's policy.
func NewStore(p policy.Policy) *Store {
	return &Store{Policy: p, locks: map[string]string{}, executions: map[string]activities.ExecutionRecord{}}
}

// LoadPolicy returns s.Policy for tenant and kind.
func (s *Store) LoadPolicy(_ context.Context, tenant, kind string) (policy.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.Policy
	p.Tenant, p.Kind = tenant, kind
	return p, nil
}

// RecordAction appends rec to the recorded projection writes.
func (s *Store) RecordAction(_ context.Context, rec activities.ActionRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, rec)
	return nil
}

// AcquireLock takes tenant's lock on resource for actionID.
func (s *Store) AcquireLock(_ context.Context, tenant, resource, actionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := tenant + "/" + resource
	if holder, ok := s.locks[key]; ok && holder != actionID {
		return fmt.Errorf("%s held by %s: %w", resource, holder, activities.ErrLockHeld)
	}
	s.locks[key] = actionID
	return nil
}

// ReleaseLock frees the lock if actionID holds it.
func (s *Store) ReleaseLock(_ context.Context, tenant, resource, actionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := tenant + "/" + resource
	if s.locks[key] == actionID {
		delete(s.locks, key)
	}
	return nil
}

// BeginExecution stores a "sending" record unless a "sending" or "sent"
// one exists, which it returns instead.
func (s *Store) BeginExecution(_ context.Context, tenant, actionID string) (*activities.ExecutionRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.BeginErr != nil {
		return nil, s.BeginErr
	}
	if rec, ok := s.executions[actionID]; ok && rec.State != "failed" {
		return &rec, nil
	}
	s.executions[actionID] = activities.ExecutionRecord{ActionID: actionID, Tenant: tenant, State: "sending"}
	return nil, nil
}

// FinishExecution stores rec.
func (s *Store) FinishExecution(_ context.Context, rec activities.ExecutionRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.executions[rec.ActionID] = rec
	return nil
}

// Records returns the projection writes in order.
func (s *Store) Records() []activities.ActionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]activities.ActionRecord(nil), s.records...)
}

// Statuses returns the recorded statuses in order, with repeats collapsed.
func (s *Store) Statuses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.records {
		if len(out) == 0 || out[len(out)-1] != r.Status {
			out = append(out, r.Status)
		}
	}
	return out
}

// LockCount returns how many locks are held.
func (s *Store) LockCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.locks)
}

// Execution returns the stored execution record of actionID.
func (s *Store) Execution(actionID string) (activities.ExecutionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.executions[actionID]
	return rec, ok
}

// PutExecution stores rec as if an earlier attempt had written it.
func (s *Store) PutExecution(rec activities.ExecutionRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.executions[rec.ActionID] = rec
}
