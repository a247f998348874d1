package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func priceRequest(tenant, key, fingerprint string) store.ActionRequest {
	return store.ActionRequest{
		Tenant:         tenant,
		IdempotencyKey: key,
		Fingerprint:    fingerprint,
		Kind:           workflows.KindListingPriceSet,
		Resource:       "listing:A1EXAMPLESELLER:ATVPDKIKX0DER:DEMO-SKU-001",
		Requester:      "alice",
		Summary:        json.RawMessage(`{"sku":"DEMO-SKU-001"}`),
	}
}

func TestReserveActionSameKeySameBody(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	first, created, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-1"))
	if err != nil {
		t.Fatalf("first ReserveAction: %v", err)
	}
	if !created {
		t.Error("first ReserveAction: created = false, want true")
	}
	if first.Status != string(workflows.StatusProposed) {
		t.Errorf("status = %q, want %q", first.Status, workflows.StatusProposed)
	}
	if first.WorkflowID != workflows.WorkflowID("acme", "key-1") {
		t.Errorf("workflow id = %q, want %q", first.WorkflowID, workflows.WorkflowID("acme", "key-1"))
	}
	if first.IdempotencyKey != "key-1" || first.Requester != "alice" {
		t.Errorf("row = %+v, want idempotency key key-1 and requester alice", first)
	}
	if first.Started {
		t.Error("a fresh reservation reports Started")
	}

	second, created, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-1"))
	if err != nil {
		t.Fatalf("second ReserveAction: %v", err)
	}
	if created {
		t.Error("second ReserveAction: created = true, want false")
	}
	if second.ID != first.ID {
		t.Errorf("second action id = %s, want %s", second.ID, first.ID)
	}
}

func TestReserveActionSameKeyOtherBody(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	if _, _, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-1")); err != nil {
		t.Fatalf("first ReserveAction: %v", err)
	}
	_, _, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-2"))
	if !errors.Is(err, store.ErrIdempotencyConflict) {
		t.Fatalf("err = %v, want ErrIdempotencyConflict", err)
	}
}

func TestReserveActionConcurrentRequestsMakeOneRow(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	const callers = 12
	var wg sync.WaitGroup
	ids := make([]string, callers)
	createdCount := make([]bool, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			row, created, err := s.ReserveAction(ctx, priceRequest("acme", "same-key", "fp-1"))
			ids[i], createdCount[i], errs[i] = row.ID, created, err
		})
	}
	wg.Wait()

	creators := 0
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("caller %d got action %s, caller 0 got %s", i, ids[i], ids[0])
		}
		if createdCount[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers created the action, want 1", creators)
	}

	list, err := s.ListActions(ctx, "acme", store.ListFilter{})
	if err != nil {
		t.Fatalf("ListActions: %v", err)
	}
	if len(list) != 1 {
		t.Errorf("ListActions returned %d actions, want 1", len(list))
	}
}

func TestReserveActionRejectsMissingFields(t *testing.T) {
	s := newStore(t)
	r := priceRequest("acme", "", "fp-1")
	if _, _, err := s.ReserveAction(context.Background(), r); err == nil {
		t.Fatal("ReserveAction without an idempotency key succeeded")
	}
}

func TestMarkActionStarted(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	row, _, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-1"))
	if err != nil {
		t.Fatalf("ReserveAction: %v", err)
	}
	marked, err := s.MarkActionStarted(ctx, "acme", row.ID)
	if err != nil || !marked {
		t.Fatalf("MarkActionStarted = %v, %v; want true, nil", marked, err)
	}
	marked, err = s.MarkActionStarted(ctx, "acme", row.ID)
	if err != nil || marked {
		t.Fatalf("second MarkActionStarted = %v, %v; want false, nil", marked, err)
	}

	got, err := s.GetAction(ctx, "acme", row.ID)
	if err != nil {
		t.Fatalf("GetAction: %v", err)
	}
	if !got.Started {
		t.Error("Started = false after MarkActionStarted")
	}
}

func TestActionsAreTenantScoped(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	a, _, err := s.ReserveAction(ctx, priceRequest("tenant-a", "shared-key", "fp-a"))
	if err != nil {
		t.Fatalf("ReserveAction tenant-a: %v", err)
	}
	b, created, err := s.ReserveAction(ctx, priceRequest("tenant-b", "shared-key", "fp-b"))
	if err != nil {
		t.Fatalf("ReserveAction tenant-b with tenant-a's key: %v", err)
	}
	if !created || b.ID == a.ID {
		t.Errorf("tenant-b got action %s (created %v), want a new action apart from %s", b.ID, created, a.ID)
	}

	_, err = s.GetAction(ctx, "tenant-b", a.ID)
	mustNotFound(t, err)

	list, err := s.ListActions(ctx, "tenant-b", store.ListFilter{})
	if err != nil {
		t.Fatalf("ListActions: %v", err)
	}
	if len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("tenant-b lists %v, want only %s", list, b.ID)
	}

	_, err = s.ListActions(ctx, "tenant-b", store.ListFilter{Before: a.ID})
	mustNotFound(t, err)
}

func TestListActionsPagesAndFilters(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		r := priceRequest("acme", fmt.Sprintf("key-%d", i), "fp")
		r.RequestedAt = base.Add(time.Duration(i) * time.Minute)
		row, _, err := s.ReserveAction(ctx, r)
		if err != nil {
			t.Fatalf("ReserveAction %d: %v", i, err)
		}
		ids = append(ids, row.ID)
	}
	err := s.RecordAction(ctx, activities.ActionRecord{ActionID: ids[1], Tenant: "acme", Kind: workflows.KindListingPriceSet, Status: string(workflows.StatusPendingApproval), WorkflowID: "wf", UpdatedAt: base.Add(time.Hour)})
	if err != nil {
		t.Fatalf("RecordAction: %v", err)
	}

	page1, err := s.ListActions(ctx, "acme", store.ListFilter{Limit: 2})
	if err != nil {
		t.Fatalf("ListActions page 1: %v", err)
	}
	if len(page1) != 2 || page1[0].ID != ids[4] || page1[1].ID != ids[3] {
		t.Fatalf("page 1 = %v, want %s then %s", actionIDs(page1), ids[4], ids[3])
	}

	page2, err := s.ListActions(ctx, "acme", store.ListFilter{Limit: 2, Before: page1[1].ID})
	if err != nil {
		t.Fatalf("ListActions page 2: %v", err)
	}
	if len(page2) != 2 || page2[0].ID != ids[2] || page2[1].ID != ids[1] {
		t.Fatalf("page 2 = %v, want %s then %s", actionIDs(page2), ids[2], ids[1])
	}

	pending, err := s.ListActions(ctx, "acme", store.ListFilter{Status: string(workflows.StatusPendingApproval)})
	if err != nil {
		t.Fatalf("ListActions by status: %v", err)
	}
	if len(pending) != 1 || pending[0].ID != ids[1] {
		t.Errorf("pending_approval = %v, want only %s", actionIDs(pending), ids[1])
	}

	for _, limit := range []int{-1, store.MaxListLimit + 1} {
		if _, err := s.ListActions(ctx, "acme", store.ListFilter{Limit: limit}); err == nil {
			t.Errorf("ListActions with limit %d succeeded", limit)
		}
	}
}

func TestRecordActionIgnoresOlderUpdate(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	row, _, err := s.ReserveAction(ctx, priceRequest("acme", "key-1", "fp-1"))
	if err != nil {
		t.Fatalf("ReserveAction: %v", err)
	}
	t0 := time.Now().Add(-time.Hour)
	record := func(status workflows.Status, at time.Time) {
		t.Helper()
		err := s.RecordAction(ctx, activities.ActionRecord{
			ActionID: row.ID, Tenant: "acme", Kind: workflows.KindListingPriceSet,
			Status: string(status), Resource: row.Resource, WorkflowID: row.WorkflowID, UpdatedAt: at,
			Summary: json.RawMessage(`{"status":"` + string(status) + `"}`),
		})
		if err != nil {
			t.Fatalf("RecordAction %s: %v", status, err)
		}
	}

	// The workflow's clock may lag the API's; its first write still lands.
	record(workflows.StatusPendingApproval, t0)
	record(workflows.StatusExecuting, t0.Add(2*time.Minute))
	record(workflows.StatusApproved, t0.Add(1*time.Minute))

	got, err := s.GetAction(ctx, "acme", row.ID)
	if err != nil {
		t.Fatalf("GetAction: %v", err)
	}
	if got.Status != string(workflows.StatusExecuting) {
		t.Errorf("status = %s, want %s", got.Status, workflows.StatusExecuting)
	}
	if !got.UpdatedAt.Equal(t0.Add(2 * time.Minute).Truncate(time.Microsecond)) {
		t.Errorf("updatedAt = %s, want %s", got.UpdatedAt, t0.Add(2*time.Minute))
	}
	if string(got.Summary) != `{"status": "executing"}` {
		t.Errorf("summary = %s, want the executing summary", got.Summary)
	}
	if got.Requester != "alice" || got.IdempotencyKey != "key-1" {
		t.Errorf("RecordAction lost requester or key: %+v", got)
	}
}

func TestRecordActionCreatesMissingRow(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	err := s.RecordAction(ctx, activities.ActionRecord{ActionID: "act_x", Tenant: "acme", Kind: workflows.KindListingPriceSet, Status: "blocked", StatusReason: "guardrail", Resource: "listing:x", WorkflowID: "wf", UpdatedAt: time.Now()})
	if err != nil {
		t.Fatalf("RecordAction: %v", err)
	}
	got, err := s.GetAction(ctx, "acme", "act_x")
	if err != nil {
		t.Fatalf("GetAction: %v", err)
	}
	if got.Status != "blocked" || got.StatusReason != "guardrail" {
		t.Errorf("row = %+v, want blocked with reason guardrail", got)
	}
}

func TestRecordActionRejectsMissingTime(t *testing.T) {
	s := newStore(t)
	err := s.RecordAction(context.Background(), activities.ActionRecord{ActionID: "act_x", Tenant: "acme", Status: "closed"})
	if err == nil {
		t.Fatal("RecordAction without UpdatedAt succeeded")
	}
}

func actionIDs(rows []store.ActionRow) []string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}
