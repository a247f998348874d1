package workflows_test

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/worker"
	"github.com/noterp/noterp/workflows"
)

// historyFile is a GovernedAction history recorded on a Temporal dev
// server: approved, applied, verified and reviewed.
const historyFile = "testdata/governed_action_closed.json"

var record = flag.Bool("record", false, "record "+historyFile+" on a Temporal dev server before replaying it (needs bin/temporal)")

// TestReplayRecordedHistory replays a recorded history against the current
// workflow code. It fails when a change makes the code issue different
// commands for the same history, which would break running actions.
func TestReplayRecordedHistory(t *testing.T) {
	if *record {
		recordHistory(t)
	}

	replayer := sdkworker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(workflows.GovernedAction, workflow.RegisterOptions{Name: workflows.WorkflowName})
	logger := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
	if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, historyFile); err != nil {
		t.Fatalf("replay of %s: %v", historyFile, err)
	}
}

// recordHistory runs one action to its end on a dev server with in-memory
// Amazon and store fakes and writes its history to historyFile.
func recordHistory(t *testing.T) {
	t.Helper()
	cli, err := filepath.Abs("../bin/temporal")
	if err != nil {
		t.Fatal(err)
	}
	server, err := testsuite.StartDevServer(context.Background(), testsuite.DevServerOptions{
		ExistingPath: cli,
		LogLevel:     "error",
		ExtraArgs: []string{
			"--search-attribute", workflows.SearchAttrTenant + "=Keyword",
			"--search-attribute", workflows.SearchAttrKind + "=Keyword",
			"--search-attribute", workflows.SearchAttrStatus + "=Keyword",
			"--search-attribute", workflows.SearchAttrResource + "=Keyword",
		},
		ClientOptions: &client.Options{Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))},
	})
	if err != nil {
		t.Fatalf("start dev server from %s: %v", cli, err)
	}
	defer func() { _ = server.Stop() }()
	c := server.Client()

	p := testPolicy()
	p.ReviewWindow.D = time.Second
	p.ReviewDeadline.D = time.Minute
	fakes := &activities.Activities{Listings: newFakeListings("24.99"), Store: newFakeStore(p)}
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	worker.Register(w, fakes)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	s := newScenario(t, "24.99", "22.49", p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorkflowID("acme", "record-1"), TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: workflows.SearchAttributes(s.input),
	}, workflows.WorkflowName, s.input)
	if err != nil {
		t.Fatal(err)
	}

	st := waitForStatus(t, ctx, c, run.GetID(), workflows.StatusPendingApproval, false)
	sendUpdate(t, ctx, c, run.GetID(), workflows.UpdateApprove, workflows.ApproveInput{Actor: approver, ProposalHash: st.Proposal.Hash, Comment: "ok"})
	waitForStatus(t, ctx, c, run.GetID(), workflows.StatusInReview, true)
	sendUpdate(t, ctx, c, run.GetID(), workflows.UpdateReview, workflows.ReviewInput{Actor: reviewer, Verdict: workflows.VerdictEffective})
	if err := run.Get(ctx, &st); err != nil || st.Status != workflows.StatusClosed {
		t.Fatalf("recorded action ended %s, %v; want closed", st.Status, err)
	}

	var hist historypb.History
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, e)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(historyFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events to %s", len(hist.Events), historyFile)
}

// waitForStatus polls the state query until status (and, with reviewOpen,
// an open review window).
func waitForStatus(t *testing.T, ctx context.Context, c client.Client, id string, status workflows.Status, reviewOpen bool) workflows.ActionState {
	t.Helper()
	for {
		var st workflows.ActionState
		v, err := c.QueryWorkflow(ctx, id, "", workflows.QueryState)
		if err == nil && v.Get(&st) == nil && st.Status == status && (!reviewOpen || (st.Review != nil && st.Review.Open)) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("action %s did not reach %s: last %s (%s)", id, status, st.Status, st.StatusReason)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func sendUpdate(t *testing.T, ctx context.Context, c client.Client, id, name string, arg any) {
	t.Helper()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		t.Fatalf("update %s: %v", name, err)
	}
	if err := h.Get(ctx, nil); err != nil {
		t.Fatalf("update %s: %v", name, err)
	}
}
