package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/noterp/noterp/internal/store"
)

const listing = "listing:A1EXAMPLESELLER:ATVPDKIKX0DER:DEMO-SKU-001"

func TestLockContention(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	if err := s.AcquireLock(ctx, "acme", listing, "act_a"); err != nil {
		t.Fatalf("act_a AcquireLock: %v", err)
	}
	if err := s.AcquireLock(ctx, "acme", listing, "act_a"); err != nil {
		t.Fatalf("act_a AcquireLock again: %v", err)
	}

	err := s.AcquireLock(ctx, "acme", listing, "act_b")
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("act_b AcquireLock err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "act_a") {
		t.Errorf("ErrLocked does not name the holder act_a: %v", err)
	}

	if err := s.ReleaseLock(ctx, "acme", listing, "act_b"); err != nil {
		t.Fatalf("act_b ReleaseLock: %v", err)
	}
	holder, err := s.LockHolder(ctx, "acme", listing)
	if err != nil || holder != "act_a" {
		t.Fatalf("holder after act_b's release = %q, %v; want act_a", holder, err)
	}

	if err := s.ReleaseLock(ctx, "acme", listing, "act_a"); err != nil {
		t.Fatalf("act_a ReleaseLock: %v", err)
	}
	if err := s.AcquireLock(ctx, "acme", listing, "act_b"); err != nil {
		t.Fatalf("act_b AcquireLock after release: %v", err)
	}
}

func TestLocksAreTenantScoped(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	if err := s.AcquireLock(ctx, "tenant-a", listing, "act_a"); err != nil {
		t.Fatalf("tenant-a AcquireLock: %v", err)
	}
	if err := s.AcquireLock(ctx, "tenant-b", listing, "act_b"); err != nil {
		t.Fatalf("tenant-b AcquireLock on the same resource name: %v", err)
	}
	if err := s.ReleaseLock(ctx, "tenant-b", listing, "act_a"); err != nil {
		t.Fatalf("tenant-b ReleaseLock: %v", err)
	}
	holder, err := s.LockHolder(ctx, "tenant-a", listing)
	if err != nil || holder != "act_a" {
		t.Errorf("tenant-a holder = %q, %v; want act_a", holder, err)
	}
}

func TestLockConcurrentAcquireHasOneWinner(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	const callers = 10
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { errs[i] = s.AcquireLock(ctx, "acme", listing, fmt.Sprintf("act_%d", i)) })
	}
	wg.Wait()

	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, store.ErrLocked):
			t.Errorf("caller %d: %v, want nil or ErrLocked", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d callers got the lock, want 1", winners)
	}
}

func TestLockHolderWithoutLock(t *testing.T) {
	s := newStore(t)
	_, err := s.LockHolder(context.Background(), "acme", listing)
	mustNotFound(t, err)
}
