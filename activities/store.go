package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// ErrLockHeld is returned by a Store's AcquireLock (wrapped) when another
// action holds the lock.
var ErrLockHeld = errors.New("resource locked by another action")

// RecordAction writes the action's projection row.
func (a *Activities) RecordAction(ctx context.Context, rec ActionRecord) error {
	if err := a.Store.RecordAction(ctx, rec); err != nil {
		return fmt.Errorf("record action %s as %s: %w", rec.ActionID, rec.Status, err)
	}
	return nil
}

// AcquireLock takes the action's lock on its resource. A lock held by
// another action is a retryable ResourceLocked error, so the workflow waits
// for it within its retry bound and never writes beside the other action.
func (a *Activities) AcquireLock(ctx context.Context, req LockRequest) error {
	err := a.Store.AcquireLock(ctx, req.Tenant, req.Resource, req.ActionID)
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrLockHeld) {
		return temporal.NewApplicationError(fmt.Sprintf("%s is locked by another action: %v", req.Resource, err), ErrTypeResourceLocked)
	}
	return fmt.Errorf("lock %s for action %s: %w", req.Resource, req.ActionID, err)
}

// ReleaseLock frees the action's lock on its resource.
func (a *Activities) ReleaseLock(ctx context.Context, req LockRequest) error {
	if err := a.Store.ReleaseLock(ctx, req.Tenant, req.Resource, req.ActionID); err != nil {
		return fmt.Errorf("release lock on %s for action %s: %w", req.Resource, req.ActionID, err)
	}
	return nil
}
