package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/internal/testenv"
)

func TestMigrateTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	databaseURL := testenv.Postgres(t)

	if err := store.EnsureDatabase(ctx, databaseURL); err != nil {
		t.Fatalf("EnsureDatabase on an existing database: %v", err)
	}
	if err := store.Migrate(ctx, databaseURL, nil); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}

	conn := connect(t, databaseURL)
	var applied int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied); err != nil {
		t.Fatalf("count applied migrations: %v", err)
	}
	if applied != 1 {
		t.Errorf("applied migrations = %d, want 1", applied)
	}
}

func TestEnsureDatabaseErrorHidesPassword(t *testing.T) {
	// Port 1 on loopback has no PostgreSQL, so the connection fails.
	err := store.EnsureDatabase(context.Background(), "postgres://postgres:s3cret-pw@127.0.0.1:1/noterp?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("EnsureDatabase against a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error contains the password: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error does not name the server: %v", err)
	}
}

func TestEnsureDatabaseRejectsURLWithoutDatabase(t *testing.T) {
	err := store.EnsureDatabase(context.Background(), "postgres://postgres@127.0.0.1:5432?sslmode=disable")
	if err == nil {
		t.Fatal("EnsureDatabase without a database name succeeded")
	}
}

func TestOpenAndPing(t *testing.T) {
	s := newStore(t)
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// newStore opens a Store on a fresh migrated database and closes it when
// the test ends.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), testenv.Postgres(t), nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// connect opens a plain connection for checks the Store does not offer.
func connect(t *testing.T, databaseURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), databaseURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
