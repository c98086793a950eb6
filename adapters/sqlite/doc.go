// Package sqlite is ConfigMat's embedded store: every store port, the
// Transactor and an in-process ChangeFeed over one SQLite database file
// (modernc.org/sqlite, pure Go), migrated with goose from migrations.SQLite.
//
// Transactions run on a single connection with BEGIN IMMEDIATE, so writers
// queue in the process instead of failing with SQLITE_BUSY, and a transaction
// holds the database's write lock from its first statement: LockHead and
// LockOwners need no further locking. Tenant isolation holds by query: every
// statement on tenant data names the tenant the transaction is bound to, and
// writes of entities naming another tenant are refused.
package sqlite
