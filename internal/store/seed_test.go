package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func TestSeedDemoIsRepeatable(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	seed := store.DemoSeed{Tenant: "demo", SellerID: "A1EXAMPLESELLER", Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}, ReviewWindow: 2 * time.Minute}

	first, err := s.SeedDemo(ctx, seed)
	if err != nil {
		t.Fatalf("first SeedDemo: %v", err)
	}
	for _, role := range []string{"requester", "approver", "reviewer"} {
		p, err := s.Authenticate(ctx, first.Tokens[role])
		if err != nil {
			t.Fatalf("Authenticate %s token: %v", role, err)
		}
		if p.UserID != "demo-"+role || len(p.Roles) != 1 || p.Roles[0] != role {
			t.Errorf("%s token belongs to %+v, want demo-%s with only that role", role, p, role)
		}
	}

	p, err := s.LoadPolicy(ctx, "demo", workflows.KindListingPriceSet)
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	if p.Version != 1 || p.RequiredApprovals != 1 || p.ReviewWindow.D != 2*time.Minute || p.ReviewDeadline.D != 24*time.Hour || p.VerifyTimeout.D != 5*time.Minute || p.ApprovalDeadline.D != 72*time.Hour {
		t.Errorf("demo policy = %+v", p)
	}
	if p.MaxChangePercent == nil || p.MaxChangePercent.String() != "50" {
		t.Errorf("demo guardrail = %v, want 50", p.MaxChangePercent)
	}

	conn, err := s.GetSellerConnection(ctx, "demo", "A1EXAMPLESELLER")
	if err != nil || conn.Region != "na" || len(conn.MarketplaceIDs) != 1 {
		t.Errorf("seller connection = %+v, %v", conn, err)
	}

	second, err := s.SeedDemo(ctx, seed)
	if err != nil {
		t.Fatalf("second SeedDemo: %v", err)
	}
	for role, old := range first.Tokens {
		if _, err := s.Authenticate(ctx, old); !errors.Is(err, store.ErrUnauthenticated) {
			t.Errorf("old %s token still authenticates: %v", role, err)
		}
		if _, err := s.Authenticate(ctx, second.Tokens[role]); err != nil {
			t.Errorf("new %s token: %v", role, err)
		}
	}
	p, err = s.LoadPolicy(ctx, "demo", workflows.KindListingPriceSet)
	if err != nil || p.Version != 1 {
		t.Errorf("policy after the second seed = v%d, %v; want v1 unchanged", p.Version, err)
	}
}
