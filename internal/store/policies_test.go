package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func TestLoadPolicyDefaultsWithoutStoredPolicy(t *testing.T) {
	s := newStore(t)
	p, err := s.LoadPolicy(context.Background(), "acme", workflows.KindListingPriceSet)
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	want := policy.Default("acme", workflows.KindListingPriceSet)
	if p.Version != want.Version || p.RequiredApprovals != want.RequiredApprovals || p.ApprovalDeadline != want.ApprovalDeadline {
		t.Errorf("LoadPolicy = %+v, want the default %+v", p, want)
	}
}

func TestPutPolicyStoresNextVersion(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	limit := decimal.NewFromInt(20)
	p := policy.Policy{Tenant: "acme", Kind: workflows.KindListingPriceSet, Version: 99, RequiredApprovals: 2, EligibleRoles: []string{"approver", "admin"}, MaxChangePercent: &limit, ApprovalDeadline: policy.Duration{D: time.Hour}}

	first, err := s.PutPolicy(ctx, p)
	if err != nil {
		t.Fatalf("first PutPolicy: %v", err)
	}
	if first.Version != 1 {
		t.Errorf("first version = %d, want 1", first.Version)
	}
	p.RequiredApprovals = 3
	second, err := s.PutPolicy(ctx, p)
	if err != nil {
		t.Fatalf("second PutPolicy: %v", err)
	}
	if second.Version != 2 {
		t.Errorf("second version = %d, want 2", second.Version)
	}

	loaded, err := s.LoadPolicy(ctx, "acme", workflows.KindListingPriceSet)
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	if loaded.Version != 2 || loaded.RequiredApprovals != 3 || !loaded.MaxChangePercent.Equal(limit) {
		t.Errorf("loaded = %+v, want version 2 with 3 approvals and a 20%% limit", loaded)
	}
	if loaded.ApprovalDeadline.D != time.Hour || loaded.ReviewWindow.D != policy.DefaultReviewWindow {
		t.Errorf("loaded durations = %s and %s, want 1h and the default review window", loaded.ApprovalDeadline.D, loaded.ReviewWindow.D)
	}

	other, err := s.LoadPolicy(ctx, "other", workflows.KindListingPriceSet)
	if err != nil || other.RequiredApprovals != 1 {
		t.Errorf("another tenant's policy = %+v, %v; want the default", other, err)
	}
}

func TestPutPolicyRejectsInvalidPolicy(t *testing.T) {
	s := newStore(t)
	cases := map[string]policy.Policy{
		"negative approvals":   {Tenant: "acme", Kind: workflows.KindListingPriceSet, RequiredApprovals: -1},
		"no eligible roles":    {Tenant: "acme", Kind: workflows.KindListingPriceSet, RequiredApprovals: 1},
		"no kind":              {Tenant: "acme", RequiredApprovals: 0},
		"tenant with a colon":  {Tenant: "a:b", Kind: workflows.KindListingPriceSet},
		"unknown role":         {Tenant: "acme", Kind: workflows.KindListingPriceSet, RequiredApprovals: 1, EligibleRoles: []string{"owner"}},
		"negative review time": {Tenant: "acme", Kind: workflows.KindListingPriceSet, ReviewWindow: policy.Duration{D: -time.Hour}},
	}
	for name, p := range cases {
		if _, err := s.PutPolicy(context.Background(), p); err == nil {
			t.Errorf("%s: PutPolicy succeeded", name)
		}
	}
}

func TestPutPolicyAfterRejectsStaleBase(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	p := policy.Default("acme", "listing.price.set")
	if err := s.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}

	first, err := s.PutPolicyAfter(ctx, p, 0)
	if err != nil || first.Version != 1 {
		t.Fatalf("PutPolicyAfter from the default = v%d, %v; want version 1", first.Version, err)
	}
	if _, err := s.PutPolicyAfter(ctx, p, 0); !errors.Is(err, store.ErrPolicyVersionTaken) {
		t.Fatalf("second write from the default: %v, want ErrPolicyVersionTaken", err)
	}
	second, err := s.PutPolicyAfter(ctx, p, 1)
	if err != nil || second.Version != 2 {
		t.Fatalf("PutPolicyAfter from version 1 = v%d, %v; want version 2", second.Version, err)
	}
}

func TestPutPolicyAfterConcurrentHasOneWinner(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	p := policy.Default("acme", "listing.price.set")
	if err := s.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}

	const writers = 8
	errs := make(chan error, writers)
	for range writers {
		go func() {
			_, err := s.PutPolicyAfter(ctx, p, 0)
			errs <- err
		}()
	}
	wins := 0
	for range writers {
		err := <-errs
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrPolicyVersionTaken):
			t.Errorf("writer failed with %v, want nil or ErrPolicyVersionTaken", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers stored a policy from the same base, want exactly 1", wins)
	}
}
