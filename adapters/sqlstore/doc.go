// Package sqlstore is ConfigMat's one SQL store: every store port of the
// ports package and the Transactor, over sqlx, written once for PostgreSQL
// and SQLite. Statements, row mapping, the snapshot codec, tenant scoping
// and the exactly-one-row checks live here; a Dialect supplies only what
// truly differs: placeholders, row locks, binding the tenant (row-level
// security), the pre-tenant lookups, the table from constraint violations to
// error kinds, and the change notifications. The thin packages
// adapters/postgres and adapters/sqlite are the dialects; they are the only
// packages that import this one.
//
// Every tenant store names the bound tenant in each statement. Inserts whose
// foreign keys could fail run as INSERT ... SELECT ... WHERE EXISTS (parent),
// so a missing parent is a row not inserted (named by a follow-up lookup)
// rather than a driver error: PostgreSQL would abort the transaction, SQLite
// would not say which key failed. Messages shown to users come from
// domain.StoreError; an unknown driver failure is an internal error that
// keeps its cause for the logs.
package sqlstore
