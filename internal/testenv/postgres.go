package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/noterp/noterp/internal/store"
)

// EnvTestDatabaseURL names the variable with the URL of the PostgreSQL
// server that Postgres creates test databases on.
const EnvTestDatabaseURL = "NOTERP_TEST_DATABASE_URL"

// DefaultTestDatabaseURL is the server Postgres uses when
// NOTERP_TEST_DATABASE_URL is not set.
const DefaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Postgres creates a database with a unique name on the server of
// NOTERP_TEST_DATABASE_URL, applies the migrations, and returns its URL.
// The database is dropped when the test and its subtests end. The user in
// the URL needs the CREATEDB privilege. The test fails if no server accepts connections.
func Postgres(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	serverURL := os.Getenv(EnvTestDatabaseURL)
	if serverURL == "" {
		serverURL = DefaultTestDatabaseURL
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("testenv: %s is not a URL: %v", EnvTestDatabaseURL, err)
	}

	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("testenv: no PostgreSQL server accepts connections at %s (%v): start one (`make test` and .ci/run expect it at 127.0.0.1:5432) or set %s", u.Redacted(), err, EnvTestDatabaseURL)
	}
	admin.Close(ctx)

	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	name := "noterp_test_" + hex.EncodeToString(suffix)
	u.Path = "/" + name
	databaseURL := u.String()

	if err := store.EnsureDatabase(ctx, databaseURL); err != nil {
		t.Fatalf("testenv: create test database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, serverURL, name) })

	if err := store.Migrate(ctx, databaseURL, nil); err != nil {
		t.Fatalf("testenv: migrate test database %s: %v", name, err)
	}
	return databaseURL
}

// dropDatabase drops the test database, ending connections a test left open.
func dropDatabase(t testing.TB, serverURL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Errorf("testenv: drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)

	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("testenv: drop test database %s: %v", name, err)
	}
}
