package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/workflows"
)

// BenchmarkProposeUntilPendingApproval measures one proposal end to end:
// the API request, the workflow start, the listing snapshot, the policy
// load and the validation preview against the simulator, until the action
// shows pending_approval. Each iteration targets its own SKU-independent
// idempotency key on the demo listing.
func BenchmarkProposeUntilPendingApproval(b *testing.B) {
	s := newStack(b, true)
	s.pollInterval = 5 * time.Millisecond
	b.ResetTimer()
	for i := range b.N {
		id := s.propose(fmt.Sprintf("bench-seq-%d-%d", b.N, i), "23.49")
		s.waitForStatus(id, workflows.StatusPendingApproval)
	}
}

// BenchmarkConcurrentProposals starts 50 proposals at once and waits until
// all are pending approval; the custom metric is proposals per second.
// All proposals read and preview the same seller's listing, so the
// simulator's published per-seller token buckets (getListingsItem 5/s,
// patchListingsItem 5/s) reject many of them with 429, and the retries
// that follow are part of what is measured.
func BenchmarkConcurrentProposals(b *testing.B) {
	const batch = 50
	s := newStack(b, true)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		ids := make([]string, batch)
		var wg sync.WaitGroup
		for j := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := s.call("POST", s.actionsPath(), "requester", s.priceRequest("23.49"), map[string]string{"Idempotency-Key": fmt.Sprintf("bench-par-%d-%d-%d", b.N, i, j)})
				if r.status != http.StatusCreated {
					b.Errorf("propose: status %d: %s", r.status, r.raw)
					return
				}
				ids[j], _ = r.body["id"].(string)
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
