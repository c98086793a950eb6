// Package postgres is ConfigMat's PostgreSQL store: every store port of the
// ports package over sqlx and lib/pq, the Transactor that binds each
// transaction to one tenant for row-level security, the change feed over
// LISTEN/NOTIFY, and the goose migrations runner.
//
// The service connects as a role that owns no table and has neither SUPERUSER
// nor BYPASSRLS (a member of the configmat_app group role); migrations run as
// the owner. Inside InTenant every query names its tenant and row-level
// security refuses any other tenant's row even to a query that forgot to. The
// lookups that precede a tenant (ports.Directory) go through SECURITY DEFINER
// functions that return only what each lookup needs; they run as
// configmat_directory, a NOLOGIN role without BYPASSRLS that read-only
// policies let see the few columns those lookups read. No role of ConfigMat,
// the owner included, is a superuser or has BYPASSRLS.
//
// Driver errors are translated at this package's edge: sql.ErrNoRows to the
// not-found kind of each method, unique and foreign-key violations to the
// kinds named by the ports, by constraint name; anything else is an internal
// error whose cause is kept for the logs only.
package postgres
