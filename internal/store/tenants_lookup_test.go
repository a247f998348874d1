package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

func TestTenantExists(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}

	for tenant, want := range map[string]bool{"acme": true, "acm": false, "ACME": false, "": false} {
		exists, err := s.TenantExists(ctx, tenant)
		if err != nil {
			t.Fatalf("TenantExists(%q): %v", tenant, err)
		}
		if exists != want {
			t.Errorf("TenantExists(%q) = %t, want %t", tenant, exists, want)
		}
	}
}

func TestTenantExistsDoesNotCreateTenant(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	for range 2 {
		exists, err := s.TenantExists(ctx, "ghost")
		if err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Fatal("TenantExists(ghost) = true before the tenant was created")
		}
	}
}

func TestSellerConnectedElsewhere(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	connection := store.SellerConnection{Tenant: "acme", SellerID: "A1EXAMPLESELLER", Region: "na", MarketplaceIDs: []string{"ATVPDKIKX0DER"}}
	if err := s.PutSellerConnection(ctx, connection); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, "globex"); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		tenant, sellerID string
		want             bool
	}{
		{"globex", "A1EXAMPLESELLER", true},
		{"acme", "A1EXAMPLESELLER", false},
		{"globex", "A2OTHERSELLER", false},
	}
	for _, c := range cases {
		connected, err := s.SellerConnectedElsewhere(ctx, c.tenant, c.sellerID)
		if err != nil {
			t.Fatalf("SellerConnectedElsewhere(%s, %s): %v", c.tenant, c.sellerID, err)
		}
		if connected != c.want {
			t.Errorf("SellerConnectedElsewhere(%s, %s) = %t, want %t", c.tenant, c.sellerID, connected, c.want)
		}
	}
}

func TestConnectedSellerIDs(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, c := range []store.SellerConnection{
		{Tenant: "acme", SellerID: "B2SELLER", Region: "eu"},
		{Tenant: "acme", SellerID: "A1SELLER", Region: "na"},
		{Tenant: "globex", SellerID: "C3SELLER", Region: "fe"},
	} {
		if err := s.PutSellerConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	ids, err := s.ConnectedSellerIDs(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"A1SELLER", "B2SELLER"}) {
		t.Errorf("ConnectedSellerIDs(acme) = %v, want [A1SELLER B2SELLER] without globex's seller", ids)
	}

	none, err := s.ConnectedSellerIDs(ctx, "initech")
	if err != nil {
		t.Fatal(err)
	}
	if none == nil || len(none) != 0 {
		t.Errorf("ConnectedSellerIDs(initech) = %#v, want an empty slice", none)
	}
}

func TestStoredPolicyVersion(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	kind := workflows.KindListingPriceSet

	version, err := s.StoredPolicyVersion(ctx, "acme", kind)
	if err != nil {
		t.Fatal(err)
	}
	if version != 0 {
		t.Errorf("StoredPolicyVersion before any policy = %d, want 0", version)
	}

	for want := 1; want <= 2; want++ {
		if _, err := s.PutPolicy(ctx, policy.Default("acme", kind)); err != nil {
			t.Fatal(err)
		}
		version, err := s.StoredPolicyVersion(ctx, "acme", kind)
		if err != nil {
			t.Fatal(err)
		}
		if version != want {
			t.Errorf("StoredPolicyVersion after %d puts = %d, want %d", want, version, want)
		}
	}

	other, err := s.StoredPolicyVersion(ctx, "globex", kind)
	if err != nil {
		t.Fatal(err)
	}
	if other != 0 {
		t.Errorf("StoredPolicyVersion of another tenant = %d, want 0", other)
	}
}
