// Package sqlite is ConfigMat's embedded store: the shared SQL store
// (adapters/sqlstore) in SQLite's dialect over one database file
// (modernc.org/sqlite, pure Go), an in-process change feed, and its
// migrations. Transactions run on a single connection with BEGIN IMMEDIATE,
// so writers queue in the process instead of failing with SQLITE_BUSY and
// need no row locks; tenant isolation holds by query.
package sqlite
