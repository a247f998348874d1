package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func TestCreateActionStartsWorkflow(t *testing.T) {
	h := newHarness(t)
	rec := h.createAction("order-42", priceBody("19.99"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	var row store.ActionRow
	decode(t, rec, &row)
	if row.Status != "proposed" || row.WorkflowID != "action:acme:order-42" || row.Requester != "requester" {
		t.Errorf("row = %+v, want a proposed action of requester with workflow id action:acme:order-42", row)
	}

	starts := h.temporal.startCalls()
	if len(starts) != 1 {
		t.Fatalf("ExecuteWorkflow calls = %d, want 1", len(starts))
	}
	opts := starts[0].options
	if opts.ID != "action:acme:order-42" || opts.TaskQueue != workflows.TaskQueue {
		t.Errorf("start id %q, task queue %q", opts.ID, opts.TaskQueue)
	}
	if opts.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL || opts.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE || !opts.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Errorf("start policies = %v, %v, error when started %v", opts.WorkflowIDConflictPolicy, opts.WorkflowIDReusePolicy, opts.WorkflowExecutionErrorWhenAlreadyStarted)
	}
	if starts[0].name != workflows.WorkflowName {
		t.Errorf("workflow = %v, want %s", starts[0].name, workflows.WorkflowName)
	}

	attrs := map[string]string{}
	for key, value := range opts.TypedSearchAttributes.GetUntypedValues() {
		attrs[key.GetName()], _ = value.(string)
	}
	wantAttrs := map[string]string{
		workflows.SearchAttrTenant:   "acme",
		workflows.SearchAttrKind:     "listing.price.set",
		workflows.SearchAttrStatus:   "proposed",
		workflows.SearchAttrResource: "listing:A1EXAMPLESELLER:ATVPDKIKX0DER:DEMO-SKU-001",
	}
	for k, want := range wantAttrs {
		if attrs[k] != want {
			t.Errorf("search attribute %s = %q, want %q", k, attrs[k], want)
		}
	}
	if len(attrs) != len(wantAttrs) {
		t.Errorf("search attributes = %v, want only %v", attrs, wantAttrs)
	}

	input, ok := starts[0].args[0].(workflows.ActionInput)
	if !ok {
		t.Fatalf("workflow input is %T, want workflows.ActionInput", starts[0].args[0])
	}
	if input.ActionID != row.ID || input.IdempotencyKey != "order-42" || input.Reason != "match competitor" {
		t.Errorf("input = %+v", input)
	}
	if input.Requester.UserID != "requester" || input.Requester.Tenant != "acme" || !input.Requester.HasRole("requester") {
		t.Errorf("input principal = %+v, want the authenticated requester", input.Requester)
	}
	if input.Params.Price.String() != "19.99 USD" || input.Params.SKU != "DEMO-SKU-001" {
		t.Errorf("input params = %+v", input.Params)
	}

	ledger, err := h.store.ListAudit(context.Background(), tenant, row.ID)
	if err != nil || len(ledger) != 1 || ledger[0].Event != "action.started" || ledger[0].Actor != "requester" {
		t.Errorf("ledger = %+v, %v; want one action.started row by requester", ledger, err)
	}
}

func TestCreateActionIdempotency(t *testing.T) {
	h := newHarness(t)
	first := h.createAction("order-42", priceBody("19.99"))
	if first.Code != http.StatusCreated {
		t.Fatalf("first: status %d (body %s)", first.Code, first.Body)
	}
	var created store.ActionRow
	decode(t, first, &created)

	// "19.990" is the same price, so it is the same request.
	again := h.createAction("order-42", priceBody("19.990"))
	if again.Code != http.StatusOK {
		t.Fatalf("repeat: status %d, want 200 (body %s)", again.Code, again.Body)
	}
	var repeated store.ActionRow
	decode(t, again, &repeated)
	if repeated.ID != created.ID {
		t.Errorf("repeat returned action %s, want %s", repeated.ID, created.ID)
	}

	other := h.createAction("order-42", priceBody("18.99"))
	wantError(t, other, http.StatusUnprocessableEntity, "idempotency_conflict", `"order-42"`)

	if n := len(h.temporal.startCalls()); n != 1 {
		t.Errorf("ExecuteWorkflow calls = %d, want 1", n)
	}
}

func TestCreateActionRetriesFailedStart(t *testing.T) {
	h := newHarness(t)
	h.temporal.startErr = serviceerror.NewUnavailable("frontend is down")

	failed := h.createAction("order-7", priceBody("19.99"))
	wantError(t, failed, http.StatusServiceUnavailable, "unavailable", "same Idempotency-Key")
	if strings.Contains(failed.Body.String(), "frontend is down") {
		t.Errorf("response leaks the internal error: %s", failed.Body)
	}

	h.temporal.startErr = nil
	retried := h.createAction("order-7", priceBody("19.99"))
	if retried.Code != http.StatusOK {
		t.Fatalf("retry: status %d, want 200 (body %s)", retried.Code, retried.Body)
	}
	if n := len(h.temporal.startCalls()); n != 2 {
		t.Errorf("ExecuteWorkflow calls = %d, want 2", n)
	}

	// Once started, a repeat does not start it again.
	h.createAction("order-7", priceBody("19.99"))
	if n := len(h.temporal.startCalls()); n != 2 {
		t.Errorf("ExecuteWorkflow calls after a started repeat = %d, want 2", n)
	}
}

func TestCreateActionAlreadyStartedCountsAsStarted(t *testing.T) {
	h := newHarness(t)
	h.temporal.startErr = serviceerror.NewUnavailable("lost answer")
	h.createAction("order-8", priceBody("19.99"))

	// The first start reached Temporal, but its response was lost.
	h.temporal.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run-1")
	rec := h.createAction("order-8", priceBody("19.99"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
	}

	h.temporal.startErr = nil
	h.createAction("order-8", priceBody("19.99"))
	if n := len(h.temporal.startCalls()); n != 2 {
		t.Errorf("ExecuteWorkflow calls = %d, want 2", n)
	}
}

func TestCreateActionValidation(t *testing.T) {
	withPrice := func(price string) string {
		return `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"ATVPDKIKX0DER","sku":"DEMO-SKU-001","price":` + price + `}}`
	}
	cases := []struct {
		name   string
		key    string
		body   string
		status int
		code   string
		parts  []string
	}{
		{"missing key", "", priceBody("19.99"), 400, "invalid_argument", []string{"Idempotency-Key"}},
		{"key with space", "order 42", priceBody("19.99"), 400, "invalid_argument", []string{"Idempotency-Key", `"order 42"`}},
		{"key too long", strings.Repeat("k", 201), priceBody("19.99"), 400, "invalid_argument", []string{"Idempotency-Key", "1 to 200"}},
		{"empty body", "k", "", 400, "invalid_argument", []string{"empty"}},
		{"not JSON", "k", "{kind:", 400, "invalid_argument", []string{"not valid JSON"}},
		{"unknown field", "k", `{"kind":"listing.price.set","priority":"high"}`, 400, "invalid_argument", []string{`"priority"`}},
		{"unknown params field", "k", `{"kind":"listing.price.set","params":{"asin":"B0X"}}`, 400, "invalid_argument", []string{`"asin"`}},
		{"wrong type", "k", `{"kind":"listing.price.set","params":{"sku":7}}`, 400, "invalid_argument", []string{"params.sku", "string"}},
		{"missing kind", "k", `{"params":{}}`, 400, "invalid_argument", []string{"kind is missing"}},
		{"unknown kind", "k", `{"kind":"listing.delete"}`, 400, "invalid_argument", []string{`"listing.delete"`}},
		{"missing sku", "k", `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"ATVPDKIKX0DER","price":{"amount":"1","currency":"USD"}}}`, 400, "invalid_argument", []string{"params.sku"}},
		{"missing price", "k", withPrice("null"), 400, "invalid_argument", []string{"params.price is missing"}},
		{"unknown currency", "k", withPrice(`{"amount":"19.99","currency":"XYZ"}`), 400, "invalid_argument", []string{`"XYZ"`}},
		{"not a number", "k", withPrice(`{"amount":"cheap","currency":"USD"}`), 400, "invalid_argument", []string{`"cheap"`}},
		{"too many decimals", "k", withPrice(`{"amount":"19.999","currency":"USD"}`), 400, "invalid_argument", []string{`"19.999"`, "19.99"}},
		{"negative price", "k", withPrice(`{"amount":"-1.00","currency":"USD"}`), 400, "invalid_argument", []string{"-1.00", "positive"}},
		{"currency of another marketplace", "k", withPrice(`{"amount":"19.99","currency":"EUR"}`), 400, "invalid_argument", []string{`"EUR"`, "ATVPDKIKX0DER"}},
		{"fractional yen", "k", `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"A1VC38T7YXB528","sku":"S","price":{"amount":"1499.5","currency":"JPY"}}}`, 400, "invalid_argument", []string{`"1499.5"`, "JPY"}},
		{"long reason", "k", `{"kind":"listing.price.set","reason":"` + strings.Repeat("r", 2001) + `"}`, 400, "invalid_argument", []string{"2001"}},
		{"seller not connected", "k", `{"kind":"listing.price.set","params":{"sellerId":"A9OTHERSELLER","marketplaceId":"ATVPDKIKX0DER","sku":"S","price":{"amount":"1","currency":"USD"}}}`, 422, "seller_not_connected", []string{`"A9OTHERSELLER"`}},
		{"marketplace not enabled", "k", `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"A1F83G8C2ARO7P","sku":"S","price":{"amount":"1","currency":"GBP"}}}`, 422, "seller_not_connected", []string{`"A1F83G8C2ARO7P"`}},
		{"two JSON values", "k", priceBody("19.99") + "{}", 400, "invalid_argument", []string{"more than one"}},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.createAction(tc.key, tc.body)
			wantError(t, rec, tc.status, tc.code, tc.parts...)
		})
	}
	if n := len(h.temporal.startCalls()); n != 0 {
		t.Errorf("ExecuteWorkflow calls = %d, want 0", n)
	}
	rows, err := h.store.ListActions(context.Background(), tenant, store.ListFilter{})
	if err != nil || len(rows) != 0 {
		t.Errorf("invalid requests reserved actions: %v, %v", rows, err)
	}
}

func TestListActions(t *testing.T) {
	h := newHarness(t)
	first := h.mustCreate("k1")
	second := h.mustCreate("k2")
	third := h.mustCreate("k3")
	err := h.store.RecordAction(context.Background(), activities.ActionRecord{ActionID: first, Tenant: tenant, Kind: workflows.KindListingPriceSet, Status: "pending_approval", WorkflowID: "action:acme:k1", UpdatedAt: timeNow()})
	if err != nil {
		t.Fatalf("RecordAction: %v", err)
	}

	var page struct {
		Actions    []store.ActionRow `json:"actions"`
		NextBefore string            `json:"nextBefore"`
	}
	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions?limit=2", h.tokens["auditor"], "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	decode(t, rec, &page)
	if len(page.Actions) != 2 || page.Actions[0].ID != third || page.Actions[1].ID != second || page.NextBefore != second {
		t.Fatalf("page 1 = %+v", page)
	}

	rec = h.do(http.MethodGet, "/v1/tenants/acme/actions?limit=2&before="+page.NextBefore, h.tokens["auditor"], "")
	page.NextBefore = ""
	decode(t, rec, &page)
	if len(page.Actions) != 1 || page.Actions[0].ID != first || page.NextBefore != "" {
		t.Errorf("page 2 = %+v, want only %s and no next page", page, first)
	}

	rec = h.do(http.MethodGet, "/v1/tenants/acme/actions?status=pending_approval", h.tokens["approver"], "")
	decode(t, rec, &page)
	if len(page.Actions) != 1 || page.Actions[0].ID != first {
		t.Errorf("pending_approval = %+v, want only %s", page.Actions, first)
	}

	other := h.do(http.MethodGet, "/v1/tenants/globex/actions", h.otherToken, "")
	decode(t, other, &page)
	if len(page.Actions) != 0 {
		t.Errorf("globex lists acme's actions: %+v", page.Actions)
	}
}

func TestListActionsRejectsBadQuery(t *testing.T) {
	h := newHarness(t)
	cases := map[string][]string{
		"?status=done":     {`"done"`, "pending_approval"},
		"?limit=abc":       {`"abc"`, "1 to 200"},
		"?limit=0":         {`"0"`},
		"?limit=201":       {`"201"`},
		"?before=act_nope": {`"act_nope"`},
	}
	for query, parts := range cases {
		rec := h.do(http.MethodGet, "/v1/tenants/acme/actions"+query, h.tokens["auditor"], "")
		wantError(t, rec, http.StatusBadRequest, "invalid_argument", parts...)
	}
}

func TestGetActionFromWorkflow(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.query = func(workflowID string) (any, error) {
		return workflows.ActionState{ID: id, WorkflowID: workflowID, Tenant: tenant, Status: workflows.StatusPendingApproval, Proposal: &workflows.Proposal{Hash: "hash-1"}}, nil
	}

	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions/"+id, h.tokens["auditor"], "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	var state workflows.ActionState
	decode(t, rec, &state)
	if state.Status != workflows.StatusPendingApproval || state.Proposal == nil || state.Proposal.Hash != "hash-1" {
		t.Errorf("state = %+v, want the workflow's pending_approval state", state)
	}
	if got := rec.Header().Get("X-NotERP-Source"); got != "workflow" {
		t.Errorf("source = %q, want workflow", got)
	}
}

func TestGetActionFallsBackToProjection(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.query = func(string) (any, error) { return nil, serviceerror.NewNotFound("workflow not found") }

	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions/"+id, h.tokens["auditor"], "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	var state workflows.ActionState
	decode(t, rec, &state)
	if state.ID != id || state.Status != workflows.StatusProposed || state.Params.SKU != "DEMO-SKU-001" || state.Params.Price.String() != "19.99 USD" {
		t.Errorf("state = %+v, want the projection row with its params", state)
	}
	if got := rec.Header().Get("X-NotERP-Source"); got != "projection" {
		t.Errorf("source = %q, want projection", got)
	}
}

func TestGetActionOfOtherTenantIsNotFound(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	rec := h.do(http.MethodGet, "/v1/tenants/globex/actions/"+id, h.otherToken, "")
	wantError(t, rec, http.StatusNotFound, "not_found", id)

	rec = h.do(http.MethodGet, "/v1/tenants/acme/actions/act_missing", h.tokens["auditor"], "")
	wantError(t, rec, http.StatusNotFound, "not_found", "act_missing")
}
