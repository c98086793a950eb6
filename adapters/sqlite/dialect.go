package sqlite

import (
	"context"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/configmat/configmat/adapters/sqlstore"
	"github.com/configmat/configmat/core/domain"
)

// dialect is SQLite's part of the SQL store.
type dialect struct{ feed *feed }

var _ sqlstore.Dialect = dialect{}

// BindType is SQLite's ? placeholders.
func (dialect) BindType() int { return sqlx.QUESTION }

// Locking takes no row locks: every transaction begins IMMEDIATE on the one
// connection and holds the database's write lock from its first statement.
// SQLite has no writable WITH clauses.
func (dialect) Locking() sqlstore.Locking { return sqlstore.Locking{} }

// BindTenant has nothing to bind: isolation holds by query.
func (dialect) BindTenant(context.Context, *sqlx.Tx, domain.TenantID) error { return nil }

// constraintKinds maps the columns SQLite names in a unique or primary-key
// violation ("UNIQUE constraint failed: <columns>") to the kind it answers.
var constraintKinds = map[string]domain.Kind{
	"tenants.id":         domain.KindConflict,
	"tenants.slug":       domain.KindConflict,
	"users.id":           domain.KindConflict,
	"users.email":        domain.KindEmailRegistered,
	"user_tokens.id":     domain.KindConflict,
	"user_tokens.digest": domain.KindConflict,
	"memberships.tenant_id, memberships.user_id":                                   domain.KindMemberExists,
	"environments.tenant_id, environments.name":                                    domain.KindEnvironmentExists,
	"environments.tenant_id, environments.position":                                domain.KindConflict,
	"assets.tenant_id, assets.id":                                                  domain.KindConflict,
	"assets.tenant_id, assets.slug":                                                domain.KindAssetExists,
	"version_heads.tenant_id, version_heads.asset_id, version_heads.environment":   domain.KindVersionConflict,
	"version_heads.asset_id, version_heads.environment":                            domain.KindVersionConflict,
	"versions.tenant_id, versions.asset_id, versions.environment, versions.number": domain.KindVersionConflict,
	"api_keys.tenant_id, api_keys.id":                                              domain.KindConflict,
	"api_keys.digest":                                                              domain.KindConflict,
	"audit_entries.tenant_id, audit_entries.seq":                                   domain.KindConflict,
	"audit_heads.tenant_id":                                                        domain.KindConflict,
	"read_counts.tenant_id, read_counts.actor, read_counts.asset, read_counts.environment, read_counts.hour, read_counts.with_secrets": domain.KindConflict,
	"asset_schemas.asset_id": domain.KindConflict,
}

// Violation maps a unique or primary-key violation to its columns' kind and
// any check violation to VALIDATION_ERROR.
func (dialect) Violation(err error) (domain.Kind, bool) {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return "", false
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		kind, ok := constraintKinds[violatedColumns(e.Error())]
		return kind, ok
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		return domain.KindInvalid, true
	}
	return "", false
}

// Unavailable recognizes a database that another writer (a process
// sharing the file) held past the busy timeout, SQLITE_BUSY or
// SQLITE_LOCKED in any of their extended forms, and a statement
// interrupted because its context ended (SQLITE_INTERRUPT).
func (dialect) Unavailable(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT:
		return true
	}
	return false
}

// violatedColumns returns the columns of SQLite's "UNIQUE constraint failed:
// t.a, t.b (2067)" message.
func violatedColumns(message string) string {
	i := strings.LastIndex(message, "constraint failed: ")
	if i < 0 {
		return ""
	}
	columns := message[i+len("constraint failed: "):]
	if i := strings.LastIndex(columns, " ("); i >= 0 {
		columns = columns[:i]
	}
	return columns
}

// Directory returns the pre-tenant lookups, read from the tables: the
// embedded store has no roles to keep apart.
func (dialect) Directory() sqlstore.DirectoryQueries {
	return sqlstore.DirectoryQueries{ // #nosec G101 -- queries that read key digests, no credential
		APIKeyByDigest: `SELECT id, tenant_id, digest, environment, expires_at, revoked_at FROM api_keys WHERE digest = ?`,
		MembershipsOfUser: `SELECT t.id AS tenant_id, t.slug, t.name, m.role
			FROM memberships AS m JOIN tenants AS t ON t.id = m.tenant_id
			WHERE m.user_id = ? ORDER BY m.created_at, m.tenant_id`,
		TenantBySlug: `SELECT id, slug, name FROM tenants WHERE slug = ?`,
		AnyDataKey:   `SELECT id, data_key_id, data_key FROM tenants ORDER BY created_at, id LIMIT 1`,
		DataKeyUses: `SELECT t.data_key_id, u.tenants, t.id, t.data_key
			FROM (SELECT data_key_id, count(*) AS tenants FROM tenants GROUP BY data_key_id) AS u
			JOIN tenants AS t ON t.id = (SELECT o.id FROM tenants AS o WHERE o.data_key_id = u.data_key_id ORDER BY o.created_at, o.id LIMIT 1)
			ORDER BY t.data_key_id`,
		TenantsNotOnKey: `SELECT id FROM tenants WHERE data_key_id <> ? ORDER BY created_at, id LIMIT ?`,
	}
}

// Changes queues a transaction's changes for this process's listeners.
func (d dialect) Changes(*sqlx.Tx) sqlstore.ChangeQueue { return &changeQueue{feed: d.feed} }

// changeQueue holds the changes published in one transaction until it commits.
type changeQueue struct {
	feed    *feed
	changes []domain.Change
}

// Publish queues c.
func (q *changeQueue) Publish(_ context.Context, c domain.Change) error {
	q.changes = append(q.changes, c)
	return nil
}

// Returning is "": the changes stay in memory until the commit.
func (*changeQueue) Returning() string { return "" }

// Carried has nothing to do: no statement carries the changes.
func (*changeQueue) Carried() {}

// Flush has nothing to do: Committed delivers the changes.
func (*changeQueue) Flush(context.Context) error { return nil }

// Committed delivers the queued changes to the listeners.
func (q *changeQueue) Committed() { q.feed.deliver(q.changes) }
