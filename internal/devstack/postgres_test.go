package devstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestEnsurePostgresUsesAnsweringServer(t *testing.T) {
	l := listenLoopback(t)
	url := fmt.Sprintf("postgres://postgres@%s/noterp?sslmode=disable", l)

	p, err := EnsurePostgres(context.Background(), url, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("EnsurePostgres: %v", err)
	}
	if p.Private || p.URL != url {
		t.Errorf("EnsurePostgres = {URL: %q, Private: %v}, want the configured URL unchanged", p.URL, p.Private)
	}
	if err := p.Stop(context.Background()); err != nil {
		t.Errorf("Stop of a server it did not start: %v, want nil", err)
	}
}

func TestEnsurePostgresStartsPrivateCluster(t *testing.T) {
	if _, err := findPostgresBin(); err != nil {
		t.Skipf("the private cluster needs PostgreSQL's server binaries: %v", err)
	}
	ctx := context.Background()
	dataDir := t.TempDir()
	// As root the cluster runs as OS user postgres, which must be able to
	// reach the data directory.
	for _, dir := range []string{filepath.Dir(dataDir), dataDir} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	unused := fmt.Sprintf("127.0.0.1:%d", mustFreePort(t))
	url := "postgres://postgres@" + unused + "/noterp?sslmode=disable"

	var firstURL string
	for run := 1; run <= 2; run++ {
		p, err := EnsurePostgres(ctx, url, dataDir, nil)
		if err != nil {
			t.Fatalf("run %d: EnsurePostgres: %v", run, err)
		}
		if !p.Private {
			t.Fatalf("run %d: EnsurePostgres used a server at %s, want a private cluster", run, unused)
		}
		if run == 1 {
			firstURL = p.URL
		} else if p.URL != firstURL {
			t.Errorf("run 2 URL = %q, want the first run's %q so the data is reused", p.URL, firstURL)
		}

		admin := strings.Replace(p.URL, "/noterp?", "/postgres?", 1)
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			p.Stop(ctx)
			t.Fatalf("run %d: connect to private cluster %s: %v", run, admin, err)
		}
		var one int
		err = conn.QueryRow(ctx, "SELECT 1").Scan(&one)
		conn.Close(ctx)
		if err != nil || one != 1 {
			t.Errorf("run %d: SELECT 1 = %d, %v", run, one, err)
		}

		if err := p.Stop(ctx); err != nil {
			t.Fatalf("run %d: Stop: %v", run, err)
		}
		if listening(strings.TrimPrefix(strings.Split(p.URL, "/")[2], "postgres@")) {
			t.Errorf("run %d: private cluster still answers after Stop", run)
		}
	}
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
