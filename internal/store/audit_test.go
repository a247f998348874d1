package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
)

func TestAuditChainLinksRows(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
	for i, event := range []string{"action.requested", "update.rejected", "update.accepted"} {
		err := s.AppendAudit(ctx, store.AuditEntry{
			Tenant: "acme", ActionID: "act_1", Actor: "alice", Event: event,
			Detail: json.RawMessage(fmt.Sprintf(`{ "z": 1, "a": "x", "n": %d }`, i)), At: at,
		})
		if err != nil {
			t.Fatalf("AppendAudit %s: %v", event, err)
		}
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "other", Actor: "bob", Event: "action.requested"}); err != nil {
		t.Fatalf("AppendAudit other tenant: %v", err)
	}

	rows, err := s.ListAudit(ctx, "acme", "act_1")
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	if len(rows) != 3 {
		t.Fatalf("ListAudit returned %d rows, want 3", len(rows))
	}
	if rows[0].PrevHash != strings.Repeat("0", 64) {
		t.Errorf("first row's previous hash = %s, want 64 zeros", rows[0].PrevHash)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].PrevHash != rows[i-1].Hash {
			t.Errorf("row %d previous hash = %s, want row %d's hash %s", rows[i].Seq, rows[i].PrevHash, rows[i-1].Seq, rows[i-1].Hash)
		}
	}
	if !rows[0].At.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("at = %s, want %s", rows[0].At, at.Truncate(time.Microsecond))
	}

	n, err := s.VerifyAudit(ctx, "acme")
	if err != nil || n != 3 {
		t.Errorf("VerifyAudit = %d, %v; want 3, nil", n, err)
	}
	otherRows, err := s.ListAudit(ctx, "other", "")
	if err != nil || len(otherRows) != 1 || otherRows[0].Seq != 1 {
		t.Errorf("other tenant's ledger = %+v, %v; want one row with seq 1", otherRows, err)
	}
}

func TestAuditConcurrentAppendsKeepChain(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	const writers = 10
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "acme", Actor: fmt.Sprintf("user-%d", i), Event: "update.rejected"}); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()

	n, err := s.VerifyAudit(ctx, "acme")
	if err != nil || n != writers {
		t.Errorf("VerifyAudit = %d, %v; want %d, nil", n, err, writers)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	databaseURL := testenv.Postgres(t)
	s, err := store.Open(context.Background(), databaseURL, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()

	if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "acme", Actor: "alice", Event: "action.requested"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}

	conn := connect(t, databaseURL)
	for _, statement := range []string{
		`UPDATE audit_log SET actor = 'mallory'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		if _, err := conn.Exec(ctx, statement); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only rejection", statement, err)
		}
	}

	rows, err := s.ListAudit(ctx, "acme", "")
	if err != nil || len(rows) != 1 || rows[0].Actor != "alice" {
		t.Errorf("ledger after the attempts = %+v, %v; want alice's row unchanged", rows, err)
	}
}

func TestVerifyAuditDetectsTampering(t *testing.T) {
	databaseURL := testenv.Postgres(t)
	s, err := store.Open(context.Background(), databaseURL, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	ctx := context.Background()

	for _, actor := range []string{"alice", "bob", "carol"} {
		if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "acme", Actor: actor, Event: "update.accepted", Detail: json.RawMessage(`{"update":"approve"}`)}); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}

	// A superuser can switch the trigger off; the chain still shows the edit.
	conn := connect(t, databaseURL)
	for _, statement := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`,
		`UPDATE audit_log SET detail = '{"update":"reject"}' WHERE seq = 2`,
	} {
		if _, err := conn.Exec(ctx, statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}

	n, err := s.VerifyAudit(ctx, "acme")
	if err == nil {
		t.Fatal("VerifyAudit accepted a changed row")
	}
	if n != 1 || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("VerifyAudit = %d, %v; want 1 and an error naming row 2", n, err)
	}
}

func TestAppendAuditRejectsBadEntry(t *testing.T) {
	s := newStore(t)
	cases := map[string]store.AuditEntry{
		"no actor":       {Tenant: "acme", Event: "x"},
		"no event":       {Tenant: "acme", Actor: "alice"},
		"invalid detail": {Tenant: "acme", Actor: "alice", Event: "x", Detail: json.RawMessage(`{`)},
	}
	for name, e := range cases {
		if err := s.AppendAudit(context.Background(), e); err == nil {
			t.Errorf("%s: AppendAudit succeeded", name)
		}
	}
}
