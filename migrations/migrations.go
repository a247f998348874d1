// Package migrations embeds NotERP's numbered PostgreSQL migrations. They
// are goose SQL files, applied in order by store.Migrate.
package migrations

import "embed"

// FS holds the migration files, named NNNNN_description.sql, at its root.
//
//go:embed *.sql
var FS embed.FS
