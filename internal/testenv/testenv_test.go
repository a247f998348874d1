package testenv

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/noterp/noterp/internal/devstack"
)

func TestMain(m *testing.M) { Main(m) }

func TestTemporalSharedWithSearchAttributes(t *testing.T) {
	first := Temporal(t)
	if second := Temporal(t); second != first {
		t.Errorf("second Temporal call = %q, want the shared server %q", second, first)
	}

	ctx := context.Background()
	c, err := client.DialContext(ctx, client.Options{HostPort: first, Logger: devstack.TemporalLogger(nil)})
	if err != nil {
		t.Fatalf("dial %s: %v", first, err)
	}
	defer c.Close()

	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	for _, name := range devstack.SearchAttributeNames {
		if got := resp.GetCustomAttributes()[name]; got != enums.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s has type %v, want Keyword", name, got)
		}
	}
}

func TestPostgresCreatesMigratedDatabaseAndDropsIt(t *testing.T) {
	ctx := context.Background()
	var databaseURL string

	t.Run("use", func(t *testing.T) {
		databaseURL = Postgres(t)

		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			t.Fatalf("connect to %s: %v", databaseURL, err)
		}
		defer conn.Close(ctx)
		var tables int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables)
		if err != nil {
			t.Fatalf("count tables: %v", err)
		}
		if tables < 2 {
			t.Errorf("test database has %d tables, want the migrated schema", tables)
		}
	})

	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "noterp_test_") {
		t.Errorf("database name %q does not start with noterp_test_", name)
	}

	server := os.Getenv(EnvTestDatabaseURL)
	if server == "" {
		server = DefaultTestDatabaseURL
	}
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestPostgresDatabasesAreUnique(t *testing.T) {
	if a, b := Postgres(t), Postgres(t); a == b {
		t.Errorf("two Postgres calls returned the same database %s", a)
	}
}

func TestRepoRootHoldsGoMod(t *testing.T) {
	root := RepoRoot(t)

	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod in %s: %v", root, err)
	}
	if !strings.HasPrefix(string(data), "module "+modulePath) {
		t.Errorf("go.mod in %s is not NotERP's", root)
	}
}

func TestSharedDirHonoursVariable(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NOTERP_SHARED_DIR", dir)

	if got := SharedDir(t); got != dir {
		t.Errorf("SharedDir = %q, want %q from NOTERP_SHARED_DIR", got, dir)
	}
}
