package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/activities"
)

// nonRetryable are the activity error types that no retry can fix.
var nonRetryable = []string{
	activities.ErrTypeListingNotFound,
	activities.ErrTypeOfferNotFound,
	activities.ErrTypeAuthorizationRevoked,
	activities.ErrTypeAppCredentials,
	activities.ErrTypeAmazonRejected,
	activities.ErrTypeInvalidInput,
}

// amazonOptions bounds one Amazon read or preview. Throttling and 5xx
// responses retry with backoff, or after the delay the activity names, for
// up to ten minutes.
func amazonOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// applyOptions bounds the write. The activity heartbeats while the call is
// in flight, so a worker that dies mid-call is noticed within the heartbeat
// timeout and the attempt moves to another worker.
func applyOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:       5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// storeOptions bounds a PostgreSQL call.
func storeOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        500 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Second,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// lockOptions waits up to ten minutes for another action's lock on the
// same listing to be released. After that the action fails rather than
// writing beside the other one.
func lockOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     1.5,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: nonRetryable,
		},
	})
}

// projectionOptions bounds the local activity that writes the projection row.
func projectionOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    500 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	})
}
