package api_test

import (
	"context"
	"encoding/json"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// fakeTemporal is a Temporal client that records the calls the API makes
// and returns results from its fields. Methods the API does not call panic
// through the nil embedded interface.
type fakeTemporal struct {
	client.Client

	mu       sync.Mutex
	starts   []startCall
	updates  []client.UpdateWorkflowOptions
	startErr error
	// update returns the outcome of UpdateWorkflow. Nil accepts every Update.
	update func(ctx context.Context, opts client.UpdateWorkflowOptions) error
	// query returns the state query's result. Nil fails every query with
	// context.DeadlineExceeded.
	query      func(workflowID string) (any, error)
	history    []*historypb.HistoryEvent
	historyErr error
	healthErr  error
}

type startCall struct {
	options client.StartWorkflowOptions
	name    any
	args    []any
}

func (f *fakeTemporal) ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, startCall{options: options, name: workflow, args: args})
	return nil, f.startErr
}

func (f *fakeTemporal) UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	f.updates = append(f.updates, options)
	update := f.update
	f.mu.Unlock()

	var err error
	if update != nil {
		err = update(ctx, options)
	}
	return fakeUpdateHandle{workflowID: options.WorkflowID, err: err}, nil
}

func (f *fakeTemporal) QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error) {
	if f.query == nil {
		return nil, context.DeadlineExceeded
	}
	v, err := f.query(workflowID)
	if err != nil {
		return nil, err
	}
	return jsonValue{v: v}, nil
}

func (f *fakeTemporal) GetWorkflowHistory(ctx context.Context, workflowID, runID string, isLongPoll bool, filterType enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	return &fakeIterator{events: f.history, err: f.historyErr}
}

func (f *fakeTemporal) CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	if f.healthErr != nil {
		return nil, f.healthErr
	}
	return &client.CheckHealthResponse{}, nil
}

func (f *fakeTemporal) startCalls() []startCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]startCall(nil), f.starts...)
}

func (f *fakeTemporal) updateCalls() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.UpdateWorkflowOptions(nil), f.updates...)
}

type fakeUpdateHandle struct {
	workflowID string
	err        error
}

func (h fakeUpdateHandle) WorkflowID() string { return h.workflowID }
func (h fakeUpdateHandle) RunID() string      { return "run-1" }
func (h fakeUpdateHandle) UpdateID() string   { return "update-1" }
func (h fakeUpdateHandle) Get(ctx context.Context, valuePtr any) error {
	return h.err
}

// jsonValue is a query result that decodes through JSON, as Temporal's
// default data converter does.
type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return j.v != nil }
func (j jsonValue) Get(valuePtr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, valuePtr)
}

type fakeIterator struct {
	events []*historypb.HistoryEvent
	err    error
	next   int
}

func (it *fakeIterator) HasNext() bool { return it.err != nil || it.next < len(it.events) }
func (it *fakeIterator) Next() (*historypb.HistoryEvent, error) {
	if it.err != nil {
		return nil, it.err
	}
	e := it.events[it.next]
	it.next++
	return e, nil
}
