// Package migrations embeds the SQL migrations of both stores, applied with
// goose: postgres/ for PostgreSQL and sqlite/ for the embedded store.
package migrations

import "embed"

// Postgres holds the PostgreSQL migrations under "postgres".
//
//go:embed postgres/*.sql
var Postgres embed.FS

// SQLite holds the embedded store's migrations under "sqlite".
//
//go:embed sqlite/*.sql
var SQLite embed.FS
