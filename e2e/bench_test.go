package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

const benchSKU = "BENCH-SKU-001"

// addSellers connects n more sellers to the tenant, each with one US
// listing benchSKU at 24.99 USD, and returns their ids. Spreading load over
// sellers keeps Amazon's per-seller token buckets, which the simulator
// enforces, from being what a benchmark measures.
func (s *stack) addSellers(n int) []string {
	s.t.Helper()
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		id := fmt.Sprintf("A1BENCHSELLER%03d", i)
		token := "Atzr|bench-" + id
		s.sim.AddSeller(id, token)
		s.sim.PutListing(id, benchSKU, "PRODUCT", map[string]json.RawMessage{
			"purchasable_offer": json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":24.99}]}]}]`),
		})
		if err := s.secrets.PutRefreshToken(ctx, id, token); err != nil {
			s.t.Fatal(err)
		}
		conn := store.SellerConnection{Tenant: tenant, SellerID: id, Region: "na", MarketplaceIDs: []string{s.demo.MarketplaceID}}
		if err := s.store.PutSellerConnection(ctx, conn); err != nil {
			s.t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// proposeFor starts a price change of benchSKU for sellerID and returns
// the action id, or "" after reporting an error.
func (s *stack) proposeFor(sellerID, key string) string {
	body := map[string]any{
		"kind": workflows.KindListingPriceSet,
		"params": map[string]any{
			"sellerId": sellerID, "marketplaceId": s.demo.MarketplaceID, "sku": benchSKU,
			"price": map[string]any{"amount": "23.49", "currency": "USD"},
		},
		"reason": "benchmark",
	}
	r := s.call("POST", s.actionsPath(), "requester", body, map[string]string{"Idempotency-Key": key})
	if r.status != http.StatusCreated {
		s.t.Errorf("propose for %s: status %d: %s", sellerID, r.status, r.raw)
		return ""
	}
	id, _ := r.body["id"].(string)
	return id
}

// BenchmarkProposeUntilPendingApproval measures one proposal end to end:
// the API request, the workflow start, the listing snapshot, the policy
// load and the validation preview against the simulator, until the API
// shows pending_approval. Iterations rotate over 20 sellers.
func BenchmarkProposeUntilPendingApproval(b *testing.B) {
	s := newStack(b, true)
	s.pollInterval = 5 * time.Millisecond
	sellers := s.addSellers(20)
	// Keys must differ between runs: the runs share one Temporal server,
	// where a repeated key names an existing workflow.
	run := time.Now().UnixNano()
	b.ResetTimer()
	for i := range b.N {
		id := s.proposeFor(sellers[i%len(sellers)], fmt.Sprintf("bench-seq-%d-%d", run, i))
		s.waitForStatus(id, workflows.StatusPendingApproval)
	}
}

// benchmarkConcurrent starts batch proposals at once over the given sellers
// and waits until all are pending approval, reporting proposals per second.
func benchmarkConcurrent(b *testing.B, sellerCount int) {
	const batch = 50
	s := newStack(b, true)
	s.pollInterval = 50 * time.Millisecond
	sellers := s.addSellers(sellerCount)
	run := time.Now().UnixNano()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		ids := make([]string, batch)
		var wg sync.WaitGroup
		for j := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[j] = s.proposeFor(sellers[j%len(sellers)], fmt.Sprintf("bench-par-%d-%d-%d", run, i, j))
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != "" {
				s.waitForStatus(id, workflows.StatusPendingApproval)
			}
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "proposals/s")
}

// BenchmarkConcurrentProposals spreads 50 concurrent proposals over 50
// sellers: NotERP's own throughput on this machine.
func BenchmarkConcurrentProposals(b *testing.B) { benchmarkConcurrent(b, 50) }

// BenchmarkConcurrentProposalsOneSeller puts 50 concurrent proposals on one
// seller. Each proposal reads the listing and previews the patch, and the
// simulator enforces Amazon's per-seller buckets (getListingsItem 5/s burst
// 10, patchListingsItem 5/s burst 5), so this measures how NotERP behaves
// under throttling: every proposal still arrives, paced by the 429 retries.
func BenchmarkConcurrentProposalsOneSeller(b *testing.B) { benchmarkConcurrent(b, 1) }
