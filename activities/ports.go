package activities

import (
	"context"

	"github.com/noterp/noterp/internal/amazon/spapi"
	"github.com/noterp/noterp/internal/policy"
)

// ListingsAPI is the part of the SP-API Listings Items client the activities
// use. *spapi.Client implements it.
type ListingsAPI interface {
	GetListingsItem(ctx context.Context, sellerID, sku string, opts spapi.GetListingsItemOptions) (*spapi.Item, spapi.Response, error)
	PatchListingsItem(ctx context.Context, sellerID, sku string, body spapi.PatchRequest, opts spapi.PatchListingsItemOptions) (*spapi.SubmissionResponse, spapi.Response, error)
}

// ExecutionRecord is the durable mark of one action's write to Amazon. It
// is stored before the write is sent and completed with Amazon's response,
// so a retried activity can tell that a write may already have been sent.
type ExecutionRecord struct {
	ActionID string
	Tenant   string
	// State is "sending" until Amazon's response is stored, then "sent", or
	// "failed" when Amazon responded with an error.
	State        string
	HTTPStatus   int
	RequestID    string
	SubmissionID string
	Status       string
}

// Store is the part of PostgreSQL the activities use. *store.Store
// implements it.
type Store interface {
	// LoadPolicy returns the newest policy version of tenant for kind, or
	// the default policy when the tenant has stored none.
	LoadPolicy(ctx context.Context, tenant, kind string) (policy.Policy, error)
	// RecordAction upserts the projection row; an older UpdatedAt never
	// overwrites a newer one.
	RecordAction(ctx context.Context, rec ActionRecord) error
	// AcquireLock takes tenant's lock on resource for actionID. Taking a lock
	// the action already holds succeeds. A lock held by another action
	// returns an error wrapping ErrLockHeld.
	AcquireLock(ctx context.Context, tenant, resource, actionID string) error
	// ReleaseLock frees the lock if actionID holds it; otherwise it does nothing.
	ReleaseLock(ctx context.Context, tenant, resource, actionID string) error
	// BeginExecution stores a "sending" record for actionID and returns nil.
	// If a record in state "sending" or "sent" exists, it stores nothing and
	// returns that record. A "failed" record is replaced, because Amazon
	// responded with an error and so nothing took effect.
	BeginExecution(ctx context.Context, tenant, actionID string) (*ExecutionRecord, error)
	// FinishExecution stores Amazon's answer on the action's record.
	FinishExecution(ctx context.Context, rec ExecutionRecord) error
}
