// Package worker wires the governed-action workflow and activities to a
// Temporal worker on the "governed-actions" task queue.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/workflows"
)

// Config holds what a worker needs. Temporal, Store and Listings are
// required; Logger defaults to a no-op logger.
type Config struct {
	Temporal client.Client
	// Store is PostgreSQL (*store.Store).
	Store activities.Store
	// Listings is the SP-API Listings Items client (*spapi.Client).
	Listings activities.ListingsAPI
	Logger   *zap.Logger
	// TaskQueue defaults to workflows.TaskQueue.
	TaskQueue string
}

// New returns a worker with the GovernedAction workflow and its activities
// registered. The caller starts and stops it.
func New(cfg Config) (sdkworker.Worker, error) {
	if cfg.Temporal == nil || cfg.Store == nil || cfg.Listings == nil {
		return nil, errors.New("worker: Temporal, Store and Listings are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = workflows.TaskQueue
	}

	// The stop timeout lets an activity in flight, such as a price write,
	// finish during a rollout instead of being cancelled mid-call.
	w := sdkworker.New(cfg.Temporal, cfg.TaskQueue, sdkworker.Options{WorkerStopTimeout: 30 * time.Second})
	Register(w, &activities.Activities{Listings: cfg.Listings, Store: cfg.Store, Logger: cfg.Logger})
	return w, nil
}

// Register adds the workflow and activities to any registry: a worker, a
// test environment or a replayer.
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivity(any)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.GovernedAction, workflow.RegisterOptions{Name: workflows.WorkflowName})
	r.RegisterActivity(acts)
}

// Run starts a worker and blocks until ctx ends, then stops it.
func Run(ctx context.Context, cfg Config) error {
	w, err := New(cfg)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
	}
	cfg.Logger.Info("Worker started", zap.String("task_queue", workflows.TaskQueue))

	<-ctx.Done()
	w.Stop()
	cfg.Logger.Info("Worker stopped", zap.String("task_queue", workflows.TaskQueue))
	return nil
}
