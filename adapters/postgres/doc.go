// Package postgres is ConfigMat's PostgreSQL store: the shared SQL store
// (adapters/sqlstore) in PostgreSQL's dialect, the change feed over
// LISTEN/NOTIFY, and the goose migrations runner.
//
// The service connects as a role that owns no table and has neither
// SUPERUSER nor BYPASSRLS (a member of the configmat_app group role);
// migrations run as the owner. Each tenant transaction binds its tenant with
// a transaction-local setting, and row-level security refuses any other
// tenant's row even to a query that forgot to name it. The pre-tenant
// lookups go through SECURITY DEFINER functions owned by configmat_directory,
// a NOLOGIN role without BYPASSRLS. Violations are translated by constraint
// name (constraintKinds).
package postgres
