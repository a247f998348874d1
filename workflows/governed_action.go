package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/policy"
)

// Search attribute keys, typed for UpsertTypedSearchAttributes.
var (
	saTenant   = temporal.NewSearchAttributeKeyKeyword(SearchAttrTenant)
	saKind     = temporal.NewSearchAttributeKeyKeyword(SearchAttrKind)
	saStatus   = temporal.NewSearchAttributeKeyKeyword(SearchAttrStatus)
	saResource = temporal.NewSearchAttributeKeyKeyword(SearchAttrResource)
)

// SearchAttributes returns the search attributes an action starts with.
func SearchAttributes(in ActionInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		saTenant.ValueSet(in.Tenant),
		saKind.ValueSet(in.Kind),
		saStatus.ValueSet(string(StatusProposed)),
		saResource.ValueSet(in.Params.Resource()),
	)
}

// act is the activities receiver; the worker registers a real one, and the
// workflow only uses its method values as activity names.
var act *activities.Activities

// GovernedAction runs one governed action: propose, approve, execute,
// verify and review, and returns the final state. An action that ends
// blocked, rejected, expired, cancelled, stale or failed still completes
// the workflow successfully, because the ending is a business outcome.
func GovernedAction(ctx workflow.Context, in ActionInput) (ActionState, error) {
	r := &run{ctx: ctx, in: in}
	if err := r.setup(); err != nil {
		return r.state, err
	}
	return r.run()
}

// run is one execution of GovernedAction.
type run struct {
	ctx    workflow.Context
	in     ActionInput
	state  ActionState
	policy policy.Policy
	locked bool
}

func (r *run) setup() error {
	now := workflow.Now(r.ctx)
	r.state = ActionState{
		ID:             r.in.ActionID,
		WorkflowID:     workflow.GetInfo(r.ctx).WorkflowExecution.ID,
		Tenant:         r.in.Tenant,
		Kind:           r.in.Kind,
		Status:         StatusProposed,
		Resource:       r.in.Params.Resource(),
		IdempotencyKey: r.in.IdempotencyKey,
		Reason:         r.in.Reason,
		Params:         r.in.Params,
		Requester:      r.in.Requester,
		CreatedAt:      now,
		UpdatedAt:      now,
		Approvals:      []Approval{},
	}
	return r.registerHandlers()
}

func (r *run) run() (ActionState, error) {
	defer r.releaseLock()

	if r.in.Kind != KindListingPriceSet {
		return r.finish(StatusBlocked, fmt.Sprintf("action kind %q is not supported", r.in.Kind))
	}
	if err := r.in.Params.Validate(); err != nil {
		return r.finish(StatusBlocked, err.Error())
	}
	r.record()

	if ended, err := r.propose(); ended || err != nil {
		return r.state, err
	}
	if ended, err := r.awaitApproval(); ended || err != nil {
		return r.state, err
	}
	if ended, err := r.execute(); ended || err != nil {
		return r.state, err
	}
	if ended, err := r.verify(); ended || err != nil {
		return r.state, err
	}
	r.releaseLock()
	return r.awaitReview()
}

// setStatus moves the action to status, upserts the status search attribute
// and writes the projection row.
func (r *run) setStatus(status Status, reason string) {
	r.state.Status = status
	r.state.StatusReason = reason
	r.state.UpdatedAt = workflow.Now(r.ctx)
	if err := workflow.UpsertTypedSearchAttributes(r.ctx, saStatus.ValueSet(string(status))); err != nil {
		workflow.GetLogger(r.ctx).Error("Upsert of the status search attribute failed", "status", status, "error", err)
	}
	r.record()
}

// record writes the projection row. A failure is logged, not fatal: the
// workflow stays the source of truth and the next status change rewrites it.
func (r *run) record() {
	rec := activities.ActionRecord{
		ActionID:     r.state.ID,
		Tenant:       r.state.Tenant,
		Kind:         r.state.Kind,
		Status:       string(r.state.Status),
		StatusReason: r.state.StatusReason,
		Resource:     r.state.Resource,
		WorkflowID:   r.state.WorkflowID,
		UpdatedAt:    r.state.UpdatedAt,
	}
	// A local activity keeps the history short: one marker event per write.
	err := workflow.ExecuteLocalActivity(projectionOptions(r.ctx), "RecordAction", rec).Get(r.ctx, nil)
	if err != nil {
		workflow.GetLogger(r.ctx).Error("Projection write failed", "action_id", r.state.ID, "status", r.state.Status, "error", err)
	}
}

// finish ends the action with a terminal status after every accepted Update
// has been handled.
func (r *run) finish(status Status, reason string) (ActionState, error) {
	r.setStatus(status, reason)
	if err := workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) }); err != nil {
		return r.state, err
	}
	return r.state, nil
}

// end is finish for the phase methods, which report whether the action ended.
func (r *run) end(status Status, reason string) (bool, error) {
	_, err := r.finish(status, reason)
	return true, err
}

func (r *run) releaseLock() {
	if !r.locked {
		return
	}
	// A disconnected context lets the release run even when the workflow
	// context was cancelled.
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	req := activities.LockRequest{Tenant: r.state.Tenant, Resource: r.state.Resource, ActionID: r.state.ID}
	if err := workflow.ExecuteActivity(storeOptions(ctx), act.ReleaseLock, req).Get(ctx, nil); err != nil {
		workflow.GetLogger(r.ctx).Error("Lock release failed", "resource", r.state.Resource, "error", err)
		return
	}
	r.locked = false
}

// listingRef names the action's listing for the activities.
func (r *run) listingRef() activities.ListingRef {
	return activities.ListingRef{
		Tenant:        r.in.Tenant,
		SellerID:      r.in.Params.SellerID,
		MarketplaceID: r.in.Params.MarketplaceID,
		SKU:           r.in.Params.SKU,
	}
}

// errorReason turns an activity error into words for the status reason,
// preferring the application error's message over Temporal's wrapping.
func errorReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// errorType returns the application error type of an activity error.
func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// remaining returns the time from now until t, at least zero.
func remaining(ctx workflow.Context, t time.Time) time.Duration {
	d := t.Sub(workflow.Now(ctx))
	if d < 0 {
		return 0
	}
	return d
}
