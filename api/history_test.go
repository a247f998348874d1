package api_test

import (
	"net/http"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/workflows"
)

type timelineEvent struct {
	Time   time.Time      `json:"time"`
	Type   string         `json:"type"`
	Actor  string         `json:"actor"`
	Detail map[string]any `json:"detail"`
}

func payloads(t *testing.T, values ...any) *commonpb.Payloads {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayloads(values...)
	if err != nil {
		t.Fatalf("ToPayloads: %v", err)
	}
	return p
}

func sampleHistory(t *testing.T) []*historypb.HistoryEvent {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(i int) *timestamppb.Timestamp { return timestamppb.New(t0.Add(time.Duration(i) * time.Second)) }
	status, err := converter.GetDefaultDataConverter().ToPayload("pending_approval")
	if err != nil {
		t.Fatalf("ToPayload: %v", err)
	}
	requester := workflows.Principal{UserID: "requester", Tenant: tenant, Roles: []string{"requester"}}
	approver := workflows.Principal{UserID: "approver", Tenant: tenant, Roles: []string{"approver"}}
	input := workflows.ActionInput{ActionID: "act_1", Tenant: tenant, Kind: workflows.KindListingPriceSet, IdempotencyKey: "k1", Reason: "match competitor",
		Params: workflows.PriceSetParams{SellerID: sellerID, MarketplaceID: usMarket, SKU: "DEMO-SKU-001", Price: money.MustParse("19.99", "USD")}, Requester: requester}

	return []*historypb.HistoryEvent{
		{EventId: 1, EventTime: at(0), EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{Input: payloads(t, input)}}},
		{EventId: 2, EventTime: at(0), EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED},
		{EventId: 3, EventTime: at(0), EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED},
		{EventId: 4, EventTime: at(1), EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED},
		{EventId: 5, EventTime: at(1), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityId: "5", ActivityType: &commonpb.ActivityType{Name: "SnapshotOffer"}}}},
		{EventId: 6, EventTime: at(2), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED},
		{EventId: 7, EventTime: at(2), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{ScheduledEventId: 5}}},
		{EventId: 8, EventTime: at(3), EventType: enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, Attributes: &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{
			UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{workflows.SearchAttrStatus: status}}}}},
		{EventId: 9, EventTime: at(3), EventType: enumspb.EVENT_TYPE_TIMER_STARTED, Attributes: &historypb.HistoryEvent_TimerStartedEventAttributes{
			TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{TimerId: "9", StartToFireTimeout: durationpb.New(72 * time.Hour)}}},
		{EventId: 10, EventTime: at(4), EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{
			WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{AcceptedRequest: &updatepb.Request{
				Meta:  &updatepb.Meta{UpdateId: "u-1"},
				Input: &updatepb.Input{Name: workflows.UpdateApprove, Args: payloads(t, workflows.ApproveInput{Actor: approver, ProposalHash: "hash-1", Comment: "fine"})}}}}},
		{EventId: 11, EventTime: at(5), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityId: "11", ActivityType: &commonpb.ActivityType{Name: "ApplyPrice"}}}},
		{EventId: 12, EventTime: at(6), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, Attributes: &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{
			ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{ScheduledEventId: 11, Failure: &failurepb.Failure{Message: "Amazon rejected the patch",
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "AmazonRejected"}}}}}},
		{EventId: 13, EventTime: at(7), EventType: enumspb.EVENT_TYPE_TIMER_FIRED, Attributes: &historypb.HistoryEvent_TimerFiredEventAttributes{
			TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: "9", StartedEventId: 9}}},
		{EventId: 14, EventTime: at(8), EventType: enumspb.EVENT_TYPE_MARKER_RECORDED},
		{EventId: 15, EventTime: at(9), EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED},
	}
}

func TestHistoryRendersTimeline(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.history = sampleHistory(t)

	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions/"+id+"/history", h.tokens["auditor"], "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	var body struct{ Events []timelineEvent }
	decode(t, rec, &body)

	want := []struct{ typ, actor, key, value string }{
		{"workflow.started", "requester", "reason", "match competitor"},
		{"activity.scheduled", "system", "activity", "SnapshotOffer"},
		{"activity.completed", "system", "activity", "SnapshotOffer"},
		{"status.changed", "system", "status", "pending_approval"},
		{"timer.started", "system", "duration", "72h0m0s"},
		{"update.accepted", "approver", "proposalHash", "hash-1"},
		{"activity.scheduled", "system", "activity", "ApplyPrice"},
		{"activity.failed", "system", "errorType", "AmazonRejected"},
		{"timer.fired", "system", "timerId", "9"},
		{"workflow.completed", "system", "", ""},
	}
	if len(body.Events) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(body.Events), len(want), body.Events)
	}
	for i, w := range want {
		got := body.Events[i]
		if got.Type != w.typ || got.Actor != w.actor {
			t.Errorf("event %d = %s by %s, want %s by %s", i, got.Type, got.Actor, w.typ, w.actor)
		}
		if w.key != "" && got.Detail[w.key] != w.value {
			t.Errorf("event %d (%s) detail %s = %v, want %q", i, got.Type, w.key, got.Detail[w.key], w.value)
		}
	}
	if _, ok := body.Events[5].Detail["actor"]; ok {
		t.Error("update detail repeats the actor object")
	}
	params, _ := body.Events[0].Detail["params"].(map[string]any)
	if params["sku"] != "DEMO-SKU-001" {
		t.Errorf("start detail params = %v, want the SKU", params)
	}
	if !body.Events[0].Time.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("first event time = %s", body.Events[0].Time)
	}
}

func TestHistoryFallsBackToLedger(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	h.temporal.historyErr = serviceerror.NewNotFound("workflow not found")

	rec := h.do(http.MethodGet, "/v1/tenants/acme/actions/"+id+"/history", h.tokens["reviewer"], "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (body %s)", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("X-NotERP-Source"); got != "ledger" {
		t.Errorf("source = %q, want ledger", got)
	}
	var body struct{ Events []timelineEvent }
	decode(t, rec, &body)
	if len(body.Events) != 1 || body.Events[0].Type != "action.started" || body.Events[0].Actor != "requester" {
		t.Errorf("events = %+v, want the ledger's action.started", body.Events)
	}
}

func TestHistoryOfOtherTenantIsNotFound(t *testing.T) {
	h := newHarness(t)
	id := h.mustCreate("k1")
	rec := h.do(http.MethodGet, "/v1/tenants/globex/actions/"+id+"/history", h.otherToken, "")
	wantError(t, rec, http.StatusNotFound, "not_found", id)
}
