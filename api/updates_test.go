package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func TestApproveSendsUpdateWithPrincipal(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.query = func(workflowID string) (any, error) {
		return workflows.ActionState{ID: id, Status: workflows.StatusApproved}, nil
	}

	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/approve", h.tokens["approver"], `{"proposalHash":"hash-1","comment":"fine"}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	var state workflows.ActionState
	decode(t, rec, &state)
	if state.Status != workflows.StatusApproved {
		t.Errorf("state status = %s, want approved", state.Status)
	}

	calls := h.temporal.updateCalls()
	if len(calls) != 1 {
		t.Fatalf("UpdateWorkflow calls = %d, want 1", len(calls))
	}
	call := calls[0]
	if call.WorkflowID != "action:acme:k1" || call.UpdateName != workflows.UpdateApprove || call.WaitForStage != client.WorkflowUpdateStageCompleted {
		t.Errorf("update = %s %s stage %v", call.WorkflowID, call.UpdateName, call.WaitForStage)
	}
	input, ok := call.Args[0].(workflows.ApproveInput)
	if !ok {
		t.Fatalf("update payload is %T, want workflows.ApproveInput", call.Args[0])
	}
	if input.Actor.UserID != "approver" || input.Actor.Tenant != tenant || !input.Actor.HasRole("approver") || input.ProposalHash != "hash-1" || input.Comment != "fine" {
		t.Errorf("payload = %+v", input)
	}

	ledger := auditEvents(t, h, id)
	if last := ledger[len(ledger)-1]; last.Event != "update.accepted" || last.Actor != "approver" || !strings.Contains(string(last.Detail), `"hash-1"`) {
		t.Errorf("last ledger row = %+v, want update.accepted by approver naming hash-1", last)
	}
}

func TestUpdatePayloads(t *testing.T) {
	cases := []struct {
		path, user, body string
		check            func(t *testing.T, arg any)
	}{
		{"reject", "approver", `{"comment":"too low"}`, func(t *testing.T, arg any) {
			in, ok := arg.(workflows.DecisionInput)
			if !ok || in.Actor.UserID != "approver" || in.Comment != "too low" {
				t.Errorf("reject payload = %#v", arg)
			}
		}},
		{"cancel", "requester", `{"comment":"typo"}`, func(t *testing.T, arg any) {
			in, ok := arg.(workflows.DecisionInput)
			if !ok || in.Actor.UserID != "requester" || in.Comment != "typo" {
				t.Errorf("cancel payload = %#v", arg)
			}
		}},
		{"cancel", "admin", `{}`, func(t *testing.T, arg any) {
			if in, ok := arg.(workflows.DecisionInput); !ok || in.Actor.UserID != "admin" {
				t.Errorf("admin cancel payload = %#v", arg)
			}
		}},
		{"review", "reviewer", `{"verdict":"harmful","comment":"sales fell"}`, func(t *testing.T, arg any) {
			in, ok := arg.(workflows.ReviewInput)
			if !ok || in.Actor.UserID != "reviewer" || in.Verdict != "harmful" || in.Comment != "sales fell" {
				t.Errorf("review payload = %#v", arg)
			}
		}},
	}
	h := newHarness(t)
	for i, tc := range cases {
		t.Run(tc.path+" by "+tc.user, func(t *testing.T) {
			id := h.mustCreate(fmt.Sprintf("k%d", i))
			before := len(h.temporal.updateCalls())
			rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/"+tc.path, h.tokens[tc.user], tc.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
			}
			calls := h.temporal.updateCalls()[before:]
			if len(calls) != 1 || calls[0].UpdateName != tc.path {
				t.Fatalf("update calls = %+v, want one %s", calls, tc.path)
			}
			tc.check(t, calls[0].Args[0])
		})
	}
}

func TestUpdateErrorMapping(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		parts  []string
	}{
		{"self-approval", temporal.NewNonRetryableApplicationError("requester may not approve their own action", workflows.ErrTypeForbidden, nil), 403, "forbidden", []string{"their own action"}},
		{"wrong status", temporal.NewNonRetryableApplicationError("action is executing, not pending_approval", workflows.ErrTypeConflict, nil), 409, "conflict", []string{"executing"}},
		{"hash mismatch", temporal.NewNonRetryableApplicationError("proposal hash abc does not match def", workflows.ErrTypeConflict, nil), 409, "conflict", []string{"abc"}},
		{"invalid", temporal.NewNonRetryableApplicationError("comment is required", workflows.ErrTypeInvalid, nil), 400, "invalid_argument", []string{"comment is required"}},
		{"workflow gone", serviceerror.NewNotFound("workflow execution already completed"), 409, "conflict", []string{"no running workflow"}},
		{"Temporal down", serviceerror.NewUnavailable("connection refused"), 502, "unavailable", []string{"failed in Temporal"}},
	}
	h := newHarness(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := h.mustCreate(fmt.Sprintf("k%d", i))
			h.temporal.update = func(context.Context, client.UpdateWorkflowOptions) error { return tc.err }

			rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/approve", h.tokens["approver"], `{"proposalHash":"abc"}`)
			wantError(t, rec, tc.status, tc.code, tc.parts...)

			last := auditEvents(t, h, id)
			row := last[len(last)-1]
			wantEvent := "update.rejected"
			if tc.status >= 500 {
				wantEvent = "update.failed"
			}
			if row.Event != wantEvent || row.Actor != "approver" || !strings.Contains(string(row.Detail), tc.code) {
				t.Errorf("ledger row = %+v, want %s by approver with code %s", row, wantEvent, tc.code)
			}
		})
	}
}

func TestUpdateToFinishedWorkflow(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.update = func(ctx context.Context, opts client.UpdateWorkflowOptions) error {
		// The workflow expired between the API's read and the Update.
		err := h.store.RecordAction(ctx, activities.ActionRecord{ActionID: id, Tenant: tenant, Kind: workflows.KindListingPriceSet, Status: "expired", WorkflowID: opts.WorkflowID, UpdatedAt: timeNow()})
		if err != nil {
			t.Errorf("RecordAction: %v", err)
		}
		return serviceerror.NewNotFound("workflow execution already completed")
	}

	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/approve", h.tokens["approver"], `{"proposalHash":"abc"}`)
	wantError(t, rec, http.StatusConflict, "conflict", "already expired")
}

func TestUpdateToTerminalActionSkipsTemporal(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	err := h.store.RecordAction(context.Background(), activities.ActionRecord{ActionID: id, Tenant: tenant, Kind: workflows.KindListingPriceSet, Status: "rejected", WorkflowID: "action:acme:k1", UpdatedAt: timeNow()})
	if err != nil {
		t.Fatalf("RecordAction: %v", err)
	}

	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/approve", h.tokens["approver"], `{"proposalHash":"abc"}`)
	wantError(t, rec, http.StatusConflict, "conflict", "already rejected")
	if n := len(h.temporal.updateCalls()); n != 0 {
		t.Errorf("UpdateWorkflow calls = %d, want 0", n)
	}
	if last := auditEvents(t, h, id); last[len(last)-1].Event != "update.rejected" {
		t.Errorf("the late approval is not in the ledger: %+v", last)
	}
}

func TestUpdateTimesOut(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.update = func(ctx context.Context, _ client.UpdateWorkflowOptions) error {
		<-ctx.Done()
		return ctx.Err()
	}

	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/reject", h.tokens["approver"], `{"comment":"no"}`)
	wantError(t, rec, http.StatusGatewayTimeout, "timeout", "reject", id)
}

func TestUpdateRoleChecks(t *testing.T) {
	cases := []struct{ path, user, body string }{
		{"approve", "requester", `{"proposalHash":"abc"}`},
		{"approve", "reviewer", `{"proposalHash":"abc"}`},
		{"reject", "requester", `{}`},
		{"cancel", "approver", `{}`},
		{"review", "approver", `{"verdict":"effective"}`},
		{"review", "auditor", `{"verdict":"effective"}`},
	}
	h := newHarness(t)
	for i, tc := range cases {
		t.Run(tc.path+" by "+tc.user, func(t *testing.T) {
			id := h.mustCreate(fmt.Sprintf("k%d", i))
			rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/"+tc.path, h.tokens[tc.user], tc.body)
			wantError(t, rec, http.StatusForbidden, "forbidden", tc.user)
			if n := len(h.temporal.updateCalls()); n != 0 {
				t.Errorf("UpdateWorkflow calls = %d, want 0", n)
			}
			last := auditEvents(t, h, id)
			if row := last[len(last)-1]; row.Event != "update.rejected" || row.Actor != tc.user {
				t.Errorf("ledger row = %+v, want update.rejected by %s", row, tc.user)
			}
		})
	}
}

func TestUpdateBodyValidation(t *testing.T) {
	cases := []struct{ path, user, body, part string }{
		{"approve", "approver", `{"comment":"ok"}`, "proposalHash is missing"},
		{"approve", "approver", `{"proposalHash":"a","approved":true}`, `"approved"`},
		{"review", "reviewer", `{"verdict":"great"}`, `"great"`},
		{"reject", "approver", `{"comment":"` + strings.Repeat("c", 2001) + `"}`, "2001"},
		{"cancel", "requester", `[]`, "JSON object"},
	}
	h := newHarness(t)
	id := h.mustCreate("k1")
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.part, func(t *testing.T) {
			rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/"+id+"/"+tc.path, h.tokens[tc.user], tc.body)
			wantError(t, rec, http.StatusBadRequest, "invalid_argument", tc.part)
			if n := len(h.temporal.updateCalls()); n != 0 {
				t.Errorf("UpdateWorkflow calls = %d, want 0", n)
			}
		})
	}
}

func TestUpdateUnknownAction(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodPost, "/v1/tenants/acme/actions/act_unknown/approve", h.tokens["approver"], `{"proposalHash":"abc"}`)
	wantError(t, rec, http.StatusNotFound, "not_found", "act_unknown")
}

func TestUpdateOtherTenantsAction(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	rec := h.do(http.MethodPost, "/v1/tenants/globex/actions/"+id+"/cancel", h.otherToken, `{}`)
	wantError(t, rec, http.StatusNotFound, "not_found", id)
	if n := len(h.temporal.updateCalls()); n != 0 {
		t.Errorf("UpdateWorkflow calls = %d, want 0", n)
	}
}

func auditEvents(t *testing.T, h *harness, actionID string) []store.AuditRow {
	t.Helper()
	rows, err := h.store.ListAudit(context.Background(), tenant, actionID)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("ledger has no rows for the action")
	}
	return rows
}
