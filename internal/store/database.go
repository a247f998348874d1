package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"go.uber.org/zap"

	"github.com/noterp/noterp/migrations"
)

// EnsureDatabase creates the database named in databaseURL if it does not
// exist. It connects to the "postgres" database of the same server to do
// so, with the same user, which needs the CREATEDB privilege.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database URL %s: %w", redactURL(databaseURL), err)
	}
	name := cfg.Database
	if name == "" {
		return fmt.Errorf("database URL %s names no database: add one as the path, like /noterp", redactURL(databaseURL))
	}

	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to the postgres database of %s: %w", redactURL(databaseURL), err)
	}
	defer conn.Close(ctx)

	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q on %s: %w", name, redactURL(databaseURL), err)
	}
	if exists {
		return nil
	}

	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" {
		// Another process created it between the lookup and here.
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q on %s: %w", name, redactURL(databaseURL), err)
	}
	return nil
}

// Migrate applies every embedded migration that databaseURL lacks. A
// PostgreSQL advisory lock serializes processes that migrate at once, and
// running it again on a migrated database changes nothing.
func Migrate(ctx context.Context, databaseURL string, logger *zap.Logger) error {
	if logger == nil {
		logger = zap.NewNop()
	}

	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database URL %s: %w", redactURL(databaseURL), err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()

	provider, err := newMigrationProvider(db)
	if err != nil {
		return fmt.Errorf("prepare migrations for %s: %w", redactURL(databaseURL), err)
	}

	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", redactURL(databaseURL), err)
	}
	for _, r := range results {
		logger.Info("applied migration", zap.Int64("version", r.Source.Version), zap.String("file", r.Source.Path), zap.Duration("duration", r.Duration))
	}
	return nil
}

func newMigrationProvider(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
}

// redactURL returns databaseURL without its password, for errors and logs.
func redactURL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(a database URL that does not parse)"
	}
	if u.Scheme == "" {
		// A keyword/value connection string: drop every password field.
		fields := strings.Fields(databaseURL)
		for i, f := range fields {
			if strings.HasPrefix(strings.ToLower(f), "password=") {
				fields[i] = "password=xxxxx"
			}
		}
		return strings.Join(fields, " ")
	}
	return u.Redacted()
}
