package sqlstore

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
)

// Dialect is what one database does differently; everything else (the
// statements, row mapping, codecs, tenant scoping, the exactly-one-row
// checks) is written once in this package.
type Dialect interface {
	// BindType is the driver's placeholder style for sqlx.Rebind
	// (sqlx.DOLLAR or sqlx.QUESTION); statements here are written with "?".
	BindType() int
	// Locking says how the database serializes writers.
	Locking() Locking
	// BindTenant runs first in every tenant transaction (PostgreSQL sets
	// app.current_tenant for row-level security; SQLite has nothing to do).
	BindTenant(ctx context.Context, tx *sqlx.Tx, tenant domain.TenantID) error
	// Violation returns the kind of a constraint violation that the
	// dialect's table knows (by constraint name, or by SQLite's code and
	// columns); ok is false for any other error.
	Violation(err error) (kind domain.Kind, ok bool)
	// Unavailable reports whether err is the database's own way of saying
	// that it cannot do the work now (the server shutting down, refusing
	// connections or overloaded, the database locked past its timeout),
	// which answers SERVICE_UNAVAILABLE. The broken connections, network
	// errors and deadlines of database/sql and the standard library are
	// recognized by this package.
	Unavailable(err error) bool
	// Directory returns the queries of the pre-tenant lookups.
	Directory() DirectoryQueries
	// Changes returns the queue of one transaction's change notifications.
	Changes(tx *sqlx.Tx) ChangeQueue
}

// Locking is how a database serializes writers.
type Locking struct {
	// ForUpdate ends a SELECT whose rows a writer locks until the
	// transaction ends (" FOR UPDATE"); "" when every transaction already
	// holds the database's write lock (SQLite's BEGIN IMMEDIATE).
	ForUpdate string
	// ForKeyShare ends a SELECT whose rows must not be deleted until the
	// transaction ends (" FOR KEY SHARE"); "" as ForUpdate.
	ForKeyShare string
	// ForShare ends a SELECT whose rows must not change until the
	// transaction ends (" FOR SHARE"); "" as ForUpdate.
	ForShare string
	// WritableCTE says whether an INSERT may run inside a WITH clause: a
	// guarded head move and the row it points to then take one statement
	// instead of two.
	WritableCTE bool
}

// DirectoryQueries are the lookups made before a tenant is known. Each takes
// one argument (AnyDataKey none) and selects the columns of its row type:
// APIKeyByDigest id, tenant_id, digest, environment, expires_at, revoked_at;
// MembershipsOfUser tenant_id, slug, name, role of a user's memberships,
// oldest first; TenantBySlug id, slug, name; AnyDataKey id, data_key_id,
// data_key of the oldest tenant. DataKeyUses (no argument) selects
// data_key_id, tenants (their count), id, data_key (of the oldest tenant
// whose key that key wraps), one row per data_key_id; TenantsNotOnKey (a
// key ID and a limit) the id of tenants whose data_key_id differs, oldest
// first.
type DirectoryQueries struct {
	APIKeyByDigest, MembershipsOfUser, TenantBySlug, AnyDataKey string
	DataKeyUses, TenantsNotOnKey                                string
}

// ChangeQueue carries one transaction's change notifications.
type ChangeQueue interface {
	// Publish queues c, whose tenant is set, for delivery if and once the
	// transaction commits.
	Publish(ctx context.Context, c domain.Change) error
	// Returning is a RETURNING clause (with its leading space) that sends
	// the changes queued and not yet sent as part of the statement it ends,
	// which writes one row: the audit entry, the last row of every audited
	// write, so that its changes cost no statement of their own. It is ""
	// when there is nothing to send, or when the dialect delivers changes
	// otherwise. Carried is called when a statement that ended in the clause
	// wrote its row, so that the changes in it were sent.
	Returning() string
	// Carried marks the changes of the last Returning clause as sent.
	Carried()
	// Flush sends the changes that no statement carried, just before the
	// commit.
	Flush(ctx context.Context) error
	// Committed is called once the transaction has committed.
	Committed()
}
