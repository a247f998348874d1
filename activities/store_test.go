package activities_test

import (
	"testing"
	"time"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/policy"
)

func TestAcquireLockHeldByOtherActionIsRetryable(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	resource := "listing:A1NOTERPDEMO01:ATVPDKIKX0DER:NOTERP-DEMO-001"
	first := activities.LockRequest{Tenant: "acme", Resource: resource, ActionID: "act-1"}
	second := activities.LockRequest{Tenant: "acme", Resource: resource, ActionID: "act-2"}
	otherTenant := activities.LockRequest{Tenant: "globex", Resource: resource, ActionID: "act-3"}

	if _, err := h.env.ExecuteActivity(h.acts.AcquireLock, first); err != nil {
		t.Fatalf("AcquireLock by act-1: %v", err)
	}
	if _, err := h.env.ExecuteActivity(h.acts.AcquireLock, first); err != nil {
		t.Errorf("AcquireLock again by the holder: %v, want success", err)
	}
	_, err := h.env.ExecuteActivity(h.acts.AcquireLock, second)
	wantRetryable(t, err, activities.ErrTypeResourceLocked)
	if _, err := h.env.ExecuteActivity(h.acts.AcquireLock, otherTenant); err != nil {
		t.Errorf("AcquireLock by another tenant: %v, want success because tenants never share locks", err)
	}

	if _, err := h.env.ExecuteActivity(h.acts.ReleaseLock, second); err != nil {
		t.Fatalf("ReleaseLock by a non-holder: %v", err)
	}
	_, err = h.env.ExecuteActivity(h.acts.AcquireLock, second)
	wantRetryable(t, err, activities.ErrTypeResourceLocked)

	if _, err := h.env.ExecuteActivity(h.acts.ReleaseLock, first); err != nil {
		t.Fatalf("ReleaseLock by the holder: %v", err)
	}
	if _, err := h.env.ExecuteActivity(h.acts.AcquireLock, second); err != nil {
		t.Errorf("AcquireLock after release: %v, want success", err)
	}
}

func TestLoadPolicyNormalizesAndValidates(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(p *policy.Policy)
		wantError bool
	}{
		{name: "empty durations get defaults", edit: func(p *policy.Policy) { p.VerifyTimeout.D = 0; p.ApprovalDeadline.D = 0 }},
		{name: "negative approvals", edit: func(p *policy.Policy) { p.RequiredApprovals = -1 }, wantError: true},
		{name: "approvals without eligible roles", edit: func(p *policy.Policy) { p.EligibleRoles = nil }, wantError: true},
		{name: "negative verify timeout", edit: func(p *policy.Policy) { p.VerifyTimeout.D = -time.Minute }, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{})
			tt.edit(&h.store.Policy)

			value, err := h.env.ExecuteActivity(h.acts.LoadPolicy, activities.PolicyRequest{Tenant: "acme", Kind: "listing.price.set"})

			if tt.wantError {
				wantNonRetryable(t, err, activities.ErrTypeInvalidInput)
				return
			}
			if err != nil {
				t.Fatalf("LoadPolicy: %v", err)
			}
			var p policy.Policy
			if err := value.Get(&p); err != nil {
				t.Fatalf("decode policy: %v", err)
			}
			if p.VerifyTimeout.D != policy.DefaultVerifyTimeout || p.ApprovalDeadline.D != policy.DefaultApprovalDeadline {
				t.Errorf("verify timeout, approval deadline = %s, %s; want defaults %s, %s",
					p.VerifyTimeout.D, p.ApprovalDeadline.D, policy.DefaultVerifyTimeout, policy.DefaultApprovalDeadline)
			}
		})
	}
}

func TestRecordActionStoresProjectionRow(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	rec := activities.ActionRecord{
		ActionID: "act-1", Tenant: "acme", Kind: "listing.price.set", Status: "pending_approval",
		Resource: "listing:A1NOTERPDEMO01:ATVPDKIKX0DER:NOTERP-DEMO-001", WorkflowID: "action:acme:key-1",
		UpdatedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
	}

	if _, err := h.env.ExecuteActivity(h.acts.RecordAction, rec); err != nil {
		t.Fatalf("RecordAction: %v", err)
	}

	if len(h.store.Records()) != 1 {
		t.Fatalf("stored rows = %d, want 1", len(h.store.Records()))
	}
	got := h.store.Records()[0]
	if got.ActionID != rec.ActionID || got.Status != rec.Status || got.WorkflowID != rec.WorkflowID || !got.UpdatedAt.Equal(rec.UpdatedAt) {
		t.Errorf("stored row = %+v, want %+v", got, rec)
	}
}
