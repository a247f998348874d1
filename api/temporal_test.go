package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
	"github.com/noterp/noterp/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// standInAction is a small workflow registered under the GovernedAction
// name. It has the real state query and an approve Update whose validator
// rejects like the real one, so these tests see the error types, payloads
// and history events that a real Temporal server produces.
func standInAction(ctx workflow.Context, in workflows.ActionInput) error {
	state := workflows.ActionState{
		ID: in.ActionID, Tenant: in.Tenant, Kind: in.Kind, Status: workflows.StatusPendingApproval,
		Requester: in.Requester, Proposal: &workflows.Proposal{Hash: "hash-1"}, Approvals: []workflows.Approval{},
	}
	if err := workflow.SetQueryHandler(ctx, workflows.QueryState, func() (workflows.ActionState, error) { return state, nil }); err != nil {
		return err
	}

	approve := func(ctx workflow.Context, in workflows.ApproveInput) error {
		state.Approvals = append(state.Approvals, workflows.Approval{Actor: in.Actor, ProposalHash: in.ProposalHash, At: workflow.Now(ctx)})
		state.Status = workflows.StatusApproved
		return nil
	}
	validate := func(ctx workflow.Context, a workflows.ApproveInput) error {
		if a.Actor.UserID == in.Requester.UserID {
			return temporal.NewApplicationError("user "+a.Actor.UserID+" requested this action and may not approve it", workflows.ErrTypeForbidden)
		}
		if a.ProposalHash != state.Proposal.Hash {
			return temporal.NewApplicationError("proposal hash "+a.ProposalHash+" is not the current proposal", workflows.ErrTypeConflict)
		}
		return nil
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateApprove, approve, workflow.UpdateHandlerOptions{Validator: validate})
	if err != nil {
		return err
	}

	status := temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrStatus)
	if err := workflow.UpsertTypedSearchAttributes(ctx, status.ValueSet(string(workflows.StatusPendingApproval))); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return state.Status == workflows.StatusApproved }); err != nil {
		return err
	}
	return workflow.UpsertTypedSearchAttributes(ctx, status.ValueSet(string(workflows.StatusApproved)))
}

// newTemporalHarness connects to the test dev server and runs a worker
// with standInAction on the governed-actions task queue.
func newTemporalHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	c, err := client.Dial(client.Options{HostPort: testenv.Temporal(t), Namespace: "default", Logger: devstack.TemporalLogger(nil)})
	if err != nil {
		t.Fatalf("dial Temporal: %v", err)
	}
	t.Cleanup(c.Close)

	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(standInAction, workflow.RegisterOptions{Name: workflows.WorkflowName})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)

	return newHarnessWithClient(t, c)
}

// uniqueKey returns an idempotency key that no earlier test used on the
// shared dev server.
func uniqueKey(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random key: %v", err)
	}
	return "key-" + hex.EncodeToString(b)
}

func TestTemporalApprovalRoundTrip(t *testing.T) {
	h := newTemporalHarness(t)
	key := uniqueKey(t)

	created := h.createAction(key, priceBody("19.99"))
	if created.Code != http.StatusCreated {
		t.Fatalf("create: status %d (body %s)", created.Code, created.Body)
	}
	var row store.ActionRow
	decode(t, created, &row)
	if again := h.createAction(key, priceBody("19.99")); again.Code != http.StatusOK {
		t.Errorf("repeat create: status %d, want 200 (body %s)", again.Code, again.Body)
	}
	path := "/v1/tenants/acme/actions/" + row.ID

	wrongHash := h.do(http.MethodPost, path+"/approve", h.tokens["approver"], `{"proposalHash":"old-hash"}`)
	wantError(t, wrongHash, http.StatusConflict, "conflict", "old-hash")

	approved := h.do(http.MethodPost, path+"/approve", h.tokens["approver"], `{"proposalHash":"hash-1","comment":"ok"}`)
	if approved.Code != http.StatusOK {
		t.Fatalf("approve: status %d (body %s)", approved.Code, approved.Body)
	}
	var state workflows.ActionState
	decode(t, approved, &state)
	if state.Status != workflows.StatusApproved || len(state.Approvals) != 1 || state.Approvals[0].Actor.UserID != "approver" {
		t.Errorf("state after approve = %+v, want approved by approver", state)
	}

	late := h.do(http.MethodPost, path+"/approve", h.tokens["approver"], `{"proposalHash":"hash-1"}`)
	wantError(t, late, http.StatusConflict, "conflict", row.ID)

	history := h.do(http.MethodGet, path+"/history", h.tokens["auditor"], "")
	if history.Code != http.StatusOK {
		t.Fatalf("history: status %d (body %s)", history.Code, history.Body)
	}
	var body struct{ Events []timelineEvent }
	decode(t, history, &body)
	var types []string
	actors := map[string]string{}
	for _, e := range body.Events {
		types = append(types, e.Type)
		actors[e.Type] = e.Actor
	}
	// The rejected attempts (wrong hash, late approval) come from the
	// ledger, in time order among the workflow's events.
	want := []string{"workflow.started", "status.changed", "update.rejected", "update.accepted", "status.changed", "workflow.completed", "update.rejected"}
	if len(types) != len(want) {
		t.Fatalf("timeline = %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Errorf("event %d = %s, want %s", i, types[i], want[i])
		}
	}
	if actors["workflow.started"] != "requester" || actors["update.accepted"] != "approver" {
		t.Errorf("actors = %v, want requester started and approver approved", actors)
	}
}

func TestTemporalSelfApprovalForbidden(t *testing.T) {
	h := newTemporalHarness(t)
	token := h.tokens["requester-approver"]

	created := h.do(http.MethodPost, "/v1/tenants/acme/actions", token, priceBody("19.99"), "Idempotency-Key", uniqueKey(t))
	if created.Code != http.StatusCreated {
		t.Fatalf("create: status %d (body %s)", created.Code, created.Body)
	}
	var row store.ActionRow
	decode(t, created, &row)

	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+row.ID+"/approve", token, `{"proposalHash":"hash-1"}`)
	wantError(t, rec, http.StatusForbidden, "forbidden", "may not approve")

	rows, err := h.store.ListAudit(context.Background(), tenant, row.ID)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if last := rows[len(rows)-1]; last.Event != "update.rejected" || last.Actor != "requester-approver" {
		t.Errorf("last ledger row = %+v, want the rejected self-approval", last)
	}
}
