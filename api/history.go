package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// actorSystem is the actor of events that no person caused.
const actorSystem = "system"

// TimelineEvent is one entry of an action's audit timeline.
type TimelineEvent struct {
	Time   time.Time      `json:"time"`
	Type   string         `json:"type"`
	Actor  string         `json:"actor"`
	Detail map[string]any `json:"detail,omitempty"`
}

// timeline is the body of GET .../actions/{id}/history.
type timeline struct {
	Events []TimelineEvent `json:"events"`
}

// getHistory renders the action's workflow history as an audit timeline,
// merged in time order with the rejected and failed Update attempts from
// the ledger, which leave no trace in the workflow history. When Temporal
// no longer has the workflow, it renders the action's ledger rows instead
// and sets X-NotERP-Source to "ledger".
func (s *Server) getHistory(c echo.Context) error {
	row, err := s.loadAction(c)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(c.Request().Context(), s.updateTimeout)
	defer cancel()
	events, err := s.renderHistory(ctx, row.WorkflowID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return s.writeLedgerTimeline(c, row)
	}
	if err != nil {
		return &Error{Status: http.StatusBadGateway, Code: CodeUnavailable, Message: "Temporal did not return the history of action " + row.ID + ": try again", Err: err}
	}

	rows, err := s.store.ListAudit(c.Request().Context(), row.Tenant, row.ID)
	if err != nil {
		return internal(err)
	}
	for _, r := range rows {
		if r.Event == eventUpdateRejected || r.Event == eventUpdateFailed {
			events = append(events, ledgerEvent(r))
		}
	}
	slices.SortStableFunc(events, func(a, b TimelineEvent) int { return a.Time.Compare(b.Time) })

	c.Response().Header().Set(HeaderSource, "workflow")
	return c.JSON(http.StatusOK, timeline{Events: events})
}

func (s *Server) writeLedgerTimeline(c echo.Context, row store.ActionRow) error {
	rows, err := s.store.ListAudit(c.Request().Context(), row.Tenant, row.ID)
	if err != nil {
		return internal(err)
	}
	events := make([]TimelineEvent, 0, len(rows))
	for _, r := range rows {
		events = append(events, ledgerEvent(r))
	}
	c.Response().Header().Set(HeaderSource, "ledger")
	return c.JSON(http.StatusOK, timeline{Events: events})
}

// ledgerEvent renders one ledger row as a timeline event.
func ledgerEvent(r store.AuditRow) TimelineEvent {
	var detail map[string]any
	_ = json.Unmarshal(r.Detail, &detail)
	return TimelineEvent{Time: r.At, Type: r.Event, Actor: r.Actor, Detail: detail}
}

// renderHistory reads the whole history of workflowID and renders it.
func (s *Server) renderHistory(ctx context.Context, workflowID string) ([]TimelineEvent, error) {
	iter := s.temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	r := historyRenderer{dc: converter.GetDefaultDataConverter(), activities: map[int64]string{}}
	events := []TimelineEvent{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, err
		}
		if ev, ok := r.render(e); ok {
			events = append(events, ev)
		}
	}
	return events, nil
}

// historyRenderer turns history events into timeline events. It remembers
// each scheduled activity's name, because the completion event carries
// only the id of its scheduled event.
type historyRenderer struct {
	dc         converter.DataConverter
	activities map[int64]string
}

// render returns the timeline event for e, or false for workflow-task
// bookkeeping and other events that mean nothing to an auditor.
func (r *historyRenderer) render(e *historypb.HistoryEvent) (TimelineEvent, bool) {
	ev := TimelineEvent{Time: e.GetEventTime().AsTime(), Actor: actorSystem}

	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		attrs := e.GetWorkflowExecutionStartedEventAttributes()
		ev.Type = "workflow.started"
		var input workflows.ActionInput
		if r.decodeFirst(attrs.GetInput(), &input) {
			ev.Actor = input.Requester.UserID
			ev.Detail = map[string]any{"kind": input.Kind, "params": input.Params, "reason": input.Reason, "idempotencyKey": input.IdempotencyKey, "requesterRoles": input.Requester.Roles}
		}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		request := e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest()
		ev.Type = "update.accepted"
		ev.Detail = map[string]any{"update": request.GetInput().GetName(), "updateId": request.GetMeta().GetUpdateId()}
		var args map[string]any
		if r.decodeFirst(request.GetInput().GetArgs(), &args) {
			ev.Actor = actorOf(args)
			for k, v := range args {
				if k != "actor" {
					ev.Detail[k] = v
				}
			}
		}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		attrs := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
		failure := attrs.GetOutcome().GetFailure()
		if failure == nil {
			return ev, false
		}
		ev.Type = "update.failed"
		ev.Detail = map[string]any{"updateId": attrs.GetMeta().GetUpdateId(), "error": failure.GetMessage()}

	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		attrs := e.GetActivityTaskScheduledEventAttributes()
		r.activities[e.GetEventId()] = attrs.GetActivityType().GetName()
		ev.Type = "activity.scheduled"
		ev.Detail = map[string]any{"activity": attrs.GetActivityType().GetName()}

	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		attrs := e.GetActivityTaskCompletedEventAttributes()
		ev.Type = "activity.completed"
		ev.Detail = map[string]any{"activity": r.activities[attrs.GetScheduledEventId()]}
		r.addEvidence(ev.Detail, attrs.GetResult())

	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		attrs := e.GetActivityTaskFailedEventAttributes()
		ev.Type = "activity.failed"
		ev.Detail = map[string]any{"activity": r.activities[attrs.GetScheduledEventId()], "error": attrs.GetFailure().GetMessage()}
		if t := attrs.GetFailure().GetApplicationFailureInfo().GetType(); t != "" {
			ev.Detail["errorType"] = t
		}

	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		attrs := e.GetActivityTaskTimedOutEventAttributes()
		ev.Type = "activity.timed_out"
		ev.Detail = map[string]any{"activity": r.activities[attrs.GetScheduledEventId()], "error": attrs.GetFailure().GetMessage()}

	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
		var status string
		if p, ok := fields[workflows.SearchAttrStatus]; ok && r.dc.FromPayload(p, &status) == nil {
			ev.Type = "status.changed"
			ev.Detail = map[string]any{"status": status}
		} else {
			return ev, false
		}

	case enumspb.EVENT_TYPE_TIMER_STARTED:
		attrs := e.GetTimerStartedEventAttributes()
		ev.Type = "timer.started"
		ev.Detail = map[string]any{"timerId": attrs.GetTimerId(), "duration": attrs.GetStartToFireTimeout().AsDuration().String()}

	case enumspb.EVENT_TYPE_TIMER_FIRED:
		ev.Type = "timer.fired"
		ev.Detail = map[string]any{"timerId": e.GetTimerFiredEventAttributes().GetTimerId()}

	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		ev.Type = "timer.canceled"
		ev.Detail = map[string]any{"timerId": e.GetTimerCanceledEventAttributes().GetTimerId()}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		ev.Type = "signal.received"
		ev.Detail = map[string]any{"signal": e.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		ev.Type = "workflow.completed"
		var final workflows.ActionState
		if r.decodeFirst(e.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &final) {
			ev.Detail = map[string]any{"status": final.Status, "statusReason": final.StatusReason}
		}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		ev.Type = "workflow.failed"
		ev.Detail = map[string]any{"error": e.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		ev.Type = "workflow.timed_out"

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		ev.Type = "workflow.cancel_requested"

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		ev.Type = "workflow.canceled"

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		attrs := e.GetWorkflowExecutionTerminatedEventAttributes()
		ev.Type = "workflow.terminated"
		// The identity names the terminating process, not a person.
		ev.Detail = map[string]any{"reason": attrs.GetReason(), "identity": attrs.GetIdentity()}

	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		ev.Type = "workflow.continued_as_new"

	default:
		// Workflow tasks, activity starts, markers and the like.
		return ev, false
	}
	return ev, true
}

// activityEvidence is the part of an activity result an auditor needs:
// the outcome, the price observed and Amazon's response metadata. The
// fields cover every activity result type in package activities.
type activityEvidence struct {
	Outcome  string                     `json:"outcome"`
	Reason   string                     `json:"reason"`
	Status   string                     `json:"status"`
	OurPrice *money.Money               `json:"ourPrice"`
	Response *activities.AmazonResponse `json:"response"`
}

// addEvidence copies the evidence fields of an activity result into detail.
func (r *historyRenderer) addEvidence(detail map[string]any, result *commonpb.Payloads) {
	var ev activityEvidence
	if !r.decodeFirst(result, &ev) {
		return
	}
	if ev.Outcome != "" {
		detail["outcome"] = ev.Outcome
	}
	if ev.Reason != "" {
		detail["reason"] = ev.Reason
	}
	if ev.Status != "" {
		detail["status"] = ev.Status
	}
	if ev.OurPrice != nil && !ev.OurPrice.IsZero() {
		detail["ourPrice"] = ev.OurPrice
	}
	if ev.Response != nil && ev.Response.Operation != "" {
		detail["amazon"] = ev.Response
	}
}

// decodeFirst decodes the first payload into valuePtr and reports success.
func (r *historyRenderer) decodeFirst(payloads *commonpb.Payloads, valuePtr any) bool {
	list := payloads.GetPayloads()
	if len(list) == 0 {
		return false
	}
	return r.dc.FromPayload(list[0], valuePtr) == nil
}

// actorOf returns the user id of an Update payload's actor.
func actorOf(args map[string]any) string {
	actor, _ := args["actor"].(map[string]any)
	if id, _ := actor["userId"].(string); strings.TrimSpace(id) != "" {
		return id
	}
	return "unknown"
}
