package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

// maxCommentChars limits the comment of an Update.
const maxCommentChars = 2000

// Audit events written for Updates.
const (
	eventUpdateAccepted = "update.accepted"
	eventUpdateRejected = "update.rejected"
	eventUpdateFailed   = "update.failed"
)

// updateSpec describes one Update route.
type updateSpec struct {
	name  string
	verb  string
	roles []string
	// fields lists the body's fields for error messages.
	fields string
	// parse decodes the body and builds the Update's payload for actor,
	// with the facts to record in the ledger.
	parse func(c echo.Context, actor workflows.Principal) (payload any, detail map[string]any, err error)
}

var (
	approveSpec = updateSpec{
		name: workflows.UpdateApprove, verb: "approve actions", roles: []string{policy.RoleApprover, policy.RoleAdmin}, fields: "proposalHash and comment",
		parse: func(c echo.Context, actor workflows.Principal) (any, map[string]any, error) {
			var body struct {
				ProposalHash string `json:"proposalHash"`
				Comment      string `json:"comment"`
			}
			if err := decodeBody(c, &body, "proposalHash and comment"); err != nil {
				return nil, nil, err
			}
			if body.ProposalHash == "" {
				return nil, nil, invalid("proposalHash is missing: send the proposal.hash of the state you reviewed")
			}
			if err := checkComment(body.Comment); err != nil {
				return nil, nil, err
			}
			payload := workflows.ApproveInput{Actor: actor, ProposalHash: body.ProposalHash, Comment: body.Comment}
			return payload, map[string]any{"proposalHash": body.ProposalHash, "comment": body.Comment}, nil
		},
	}
	rejectSpec = updateSpec{
		name: workflows.UpdateReject, verb: "reject actions", roles: []string{policy.RoleApprover, policy.RoleAdmin}, fields: "comment",
		parse: parseDecision,
	}
	cancelSpec = updateSpec{
		name: workflows.UpdateCancel, verb: "cancel actions", roles: []string{policy.RoleRequester, policy.RoleAdmin}, fields: "comment",
		parse: parseDecision,
	}
	reviewSpec = updateSpec{
		name: workflows.UpdateReview, verb: "review actions", roles: []string{policy.RoleReviewer}, fields: "verdict and comment",
		parse: func(c echo.Context, actor workflows.Principal) (any, map[string]any, error) {
			var body struct {
				Verdict string `json:"verdict"`
				Comment string `json:"comment"`
			}
			if err := decodeBody(c, &body, "verdict and comment"); err != nil {
				return nil, nil, err
			}
			verdicts := []string{workflows.VerdictEffective, workflows.VerdictIneffective, workflows.VerdictHarmful}
			if !slices.Contains(verdicts, body.Verdict) {
				return nil, nil, invalid("verdict %q is invalid: use effective, ineffective or harmful", truncate(body.Verdict, 40))
			}
			if err := checkComment(body.Comment); err != nil {
				return nil, nil, err
			}
			payload := workflows.ReviewInput{Actor: actor, Verdict: body.Verdict, Comment: body.Comment}
			return payload, map[string]any{"verdict": body.Verdict, "comment": body.Comment}, nil
		},
	}
)

func parseDecision(c echo.Context, actor workflows.Principal) (any, map[string]any, error) {
	var body struct {
		Comment string `json:"comment"`
	}
	// The comment is optional, so an empty body means no comment.
	if c.Request().ContentLength != 0 {
		if err := decodeBody(c, &body, "comment"); err != nil {
			return nil, nil, err
		}
	}
	if err := checkComment(body.Comment); err != nil {
		return nil, nil, err
	}
	return workflows.DecisionInput{Actor: actor, Comment: body.Comment}, map[string]any{"comment": body.Comment}, nil
}

func checkComment(comment string) error {
	if n := utf8.RuneCountInString(comment); n > maxCommentChars {
		return invalid("comment is %d characters long: shorten it to at most %d", n, maxCommentChars)
	}
	return nil
}

func (s *Server) approve(c echo.Context) error { return s.update(c, approveSpec) }
func (s *Server) reject(c echo.Context) error  { return s.update(c, rejectSpec) }
func (s *Server) cancel(c echo.Context) error  { return s.update(c, cancelSpec) }
func (s *Server) review(c echo.Context) error  { return s.update(c, reviewSpec) }

// update sends one Update to the action's workflow and waits until the
// workflow completes it. A rejected Update leaves no trace in the workflow
// history, so every rejected or failed attempt is written to the ledger.
func (s *Server) update(c echo.Context, spec updateSpec) error {
	row, err := s.loadAction(c)
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	detail := map[string]any{"update": spec.name}

	err = s.sendUpdate(c, spec, row, p, detail)
	if err != nil {
		apiErr := toError(err)
		detail["code"] = apiErr.Code
		detail["message"] = apiErr.Message
		event := eventUpdateRejected
		if apiErr.Status >= 500 {
			event = eventUpdateFailed
		}
		s.audit(c, row.Tenant, row.ID, p.UserID, event, detail)
		return apiErr
	}

	s.audit(c, row.Tenant, row.ID, p.UserID, eventUpdateAccepted, detail)
	return s.writeState(c, row)
}

// sendUpdate checks the role and the body, then runs the Update. It adds
// the body's facts to detail for the ledger.
func (s *Server) sendUpdate(c echo.Context, spec updateSpec, row store.ActionRow, p workflows.Principal, detail map[string]any) error {
	if _, err := requireRole(c, spec.verb, spec.roles...); err != nil {
		return err
	}
	payload, facts, err := spec.parse(c, p)
	if err != nil {
		return err
	}
	for k, v := range facts {
		detail[k] = v
	}
	if workflows.Status(row.Status).Terminal() {
		return alreadyFinished(row)
	}

	ctx, cancel := context.WithTimeout(c.Request().Context(), s.updateTimeout)
	defer cancel()
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   row.WorkflowID,
		UpdateName:   spec.name,
		Args:         []any{payload},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err == nil {
		return nil
	}
	return s.updateError(c, spec, row, ctx, err)
}

// updateError maps a failed Update to an API error. The workflow's
// validators reject with application errors whose type selects the status.
func (s *Server) updateError(c echo.Context, spec updateSpec, row store.ActionRow, ctx context.Context, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeForbidden:
			return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: appErr.Message(), Err: err}
		case workflows.ErrTypeConflict:
			return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: appErr.Message(), Err: err}
		case workflows.ErrTypeInvalid:
			return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Message: appErr.Message(), Err: err}
		}
	}

	var deadline *serviceerror.DeadlineExceeded
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) {
		return &Error{
			Status:  http.StatusGatewayTimeout,
			Code:    CodeTimeout,
			Message: fmt.Sprintf("the %s update of action %s did not complete within %s: read the action's state before you retry", spec.name, row.ID, s.updateTimeout),
			Err:     err,
		}
	}

	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// Temporal returns NotFound both for a finished workflow and for
		// one that never existed, so the projection row decides which it is.
		fresh, loadErr := s.store.GetAction(c.Request().Context(), row.Tenant, row.ID)
		if loadErr == nil && workflows.Status(fresh.Status).Terminal() {
			return alreadyFinished(fresh)
		}
		return &Error{
			Status:  http.StatusConflict,
			Code:    CodeConflict,
			Message: fmt.Sprintf("action %s has no running workflow (status %s): if the create request failed, repeat it with the same %s", row.ID, row.Status, HeaderIdempotencyKey),
			Err:     err,
		}
	}

	return &Error{
		Status:  http.StatusBadGateway,
		Code:    CodeUnavailable,
		Message: fmt.Sprintf("the %s update of action %s failed in Temporal: read the action's state before you retry", spec.name, row.ID),
		Err:     err,
	}
}

func alreadyFinished(row store.ActionRow) error {
	return &Error{
		Status:  http.StatusConflict,
		Code:    CodeConflict,
		Message: fmt.Sprintf("action %s is already %s: it takes no more updates", row.ID, row.Status),
	}
}
