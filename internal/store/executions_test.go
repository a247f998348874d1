package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/store"
)

func TestBeginExecutionReturnsEarlierRecord(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	before, err := s.BeginExecution(ctx, "acme", "act_1")
	if err != nil {
		t.Fatalf("first BeginExecution: %v", err)
	}
	if before != nil {
		t.Fatalf("first BeginExecution returned %+v, want nil", before)
	}

	before, err = s.BeginExecution(ctx, "acme", "act_1")
	if err != nil {
		t.Fatalf("second BeginExecution: %v", err)
	}
	if before == nil || before.State != store.ExecutionSending {
		t.Fatalf("second BeginExecution returned %+v, want a sending record", before)
	}

	err = s.FinishExecution(ctx, activities.ExecutionRecord{ActionID: "act_1", Tenant: "acme", HTTPStatus: 200, RequestID: "req-1", SubmissionID: "sub-0001", Status: "ACCEPTED"})
	if err != nil {
		t.Fatalf("FinishExecution: %v", err)
	}

	before, err = s.BeginExecution(ctx, "acme", "act_1")
	if err != nil {
		t.Fatalf("third BeginExecution: %v", err)
	}
	want := activities.ExecutionRecord{ActionID: "act_1", Tenant: "acme", State: store.ExecutionSent, HTTPStatus: 200, RequestID: "req-1", SubmissionID: "sub-0001", Status: "ACCEPTED"}
	if before == nil || *before != want {
		t.Errorf("record after FinishExecution = %+v, want %+v", before, want)
	}

	other, err := s.BeginExecution(ctx, "other", "act_1")
	if err != nil || other != nil {
		t.Errorf("another tenant's BeginExecution = %+v, %v; want nil, nil", other, err)
	}
}

func TestBeginExecutionConcurrentHasOneFirst(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	const callers = 8
	var wg sync.WaitGroup
	firsts := make([]bool, callers)
	for i := range callers {
		wg.Go(func() {
			before, err := s.BeginExecution(ctx, "acme", "act_1")
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			firsts[i] = err == nil && before == nil
		})
	}
	wg.Wait()

	count := 0
	for _, first := range firsts {
		if first {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d callers saw no earlier record, want 1", count)
	}
}

func TestBeginExecutionReplacesFailedRecord(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	if _, err := s.BeginExecution(ctx, "acme", "act_1"); err != nil {
		t.Fatal(err)
	}
	failed := activities.ExecutionRecord{ActionID: "act_1", Tenant: "acme", State: store.ExecutionFailed, HTTPStatus: 500}
	if err := s.FinishExecution(ctx, failed); err != nil {
		t.Fatal(err)
	}

	before, err := s.BeginExecution(ctx, "acme", "act_1")
	if err != nil || before != nil {
		t.Fatalf("BeginExecution after a failed write = %+v, %v; want nil, nil so the write is sent again", before, err)
	}
	again, err := s.BeginExecution(ctx, "acme", "act_1")
	if err != nil || again == nil || again.State != store.ExecutionSending || again.HTTPStatus != 0 {
		t.Fatalf("record after the retry began = %+v, %v; want a fresh sending record", again, err)
	}
}
