package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/configmat/configmat/adapters/sqlstore"
	"github.com/configmat/configmat/core/domain"
)

// dialect is PostgreSQL's part of the SQL store.
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

// BindType is lib/pq's $n placeholders.
func (dialect) BindType() int { return sqlx.DOLLAR }

// Locking locks rows: writers of one head serialize on it, and a deletion
// waits for the writers of the asset.
func (dialect) Locking() sqlstore.Locking {
	return sqlstore.Locking{ForUpdate: " FOR UPDATE", ForKeyShare: " FOR KEY SHARE", ForShare: " FOR SHARE", WritableCTE: true}
}

// bindTenant binds a transaction to a tenant for row-level security. The
// third argument makes the setting transaction-local: it cannot leak to the
// next transaction that reuses the connection, PgBouncer's included.
const bindTenant = `SELECT set_config('app.current_tenant', $1, true)`

// BindTenant sets app.current_tenant for the transaction. A tenant ID that
// is a UUID (every stored one) is written into the statement, in its
// canonical spelling, which holds only hexadecimal digits and hyphens: a
// statement without parameters is one round trip to the server for lib/pq
// (the simple query protocol) instead of two. Anything else is bound as a
// parameter.
func (dialect) BindTenant(ctx context.Context, tx *sqlx.Tx, tenant domain.TenantID) error {
	if id, ok := sqlstore.CanonicalUUID(string(tenant)); ok && len(tenant) == 36 {
		_, err := tx.ExecContext(ctx, `SELECT set_config('app.current_tenant', '`+id+`', true)`)
		return err
	}
	_, err := tx.ExecContext(ctx, bindTenant, string(tenant))
	return err
}

// constraintKinds maps every unique constraint and foreign key of the schema
// to the kind its violation answers. Inserts check their parents first
// (sqlstore), so foreign keys fire only when a parent vanished meanwhile.
var constraintKinds = map[string]domain.Kind{
	"tenants_pkey":                   domain.KindConflict,
	"tenants_slug_key":               domain.KindConflict,
	"users_pkey":                     domain.KindConflict,
	"users_email_key":                domain.KindEmailRegistered,
	"user_tokens_pkey":               domain.KindConflict,
	"user_tokens_digest_key":         domain.KindConflict,
	"memberships_pkey":               domain.KindMemberExists,
	"environments_pkey":              domain.KindEnvironmentExists,
	"environments_position_key":      domain.KindConflict,
	"assets_pkey":                    domain.KindConflict,
	"assets_tenant_id_key":           domain.KindConflict,
	"assets_tenant_slug_key":         domain.KindAssetExists,
	"version_heads_pkey":             domain.KindVersionConflict,
	"version_heads_tenant_pair_key":  domain.KindVersionConflict,
	"versions_pkey":                  domain.KindVersionConflict,
	"api_keys_pkey":                  domain.KindConflict,
	"api_keys_digest_key":            domain.KindConflict,
	"audit_entries_pkey":             domain.KindConflict,
	"audit_heads_pkey":               domain.KindConflict,
	"asset_schemas_pkey":             domain.KindConflict,
	"asset_schemas_asset_fkey":       domain.KindAssetNotFound,
	"user_tokens_user_fkey":          domain.KindUserNotFound,
	"memberships_tenant_fkey":        domain.KindTenantNotFound,
	"memberships_user_fkey":          domain.KindUserNotFound,
	"environments_tenant_fkey":       domain.KindTenantNotFound,
	"assets_tenant_fkey":             domain.KindTenantNotFound,
	"version_heads_asset_fkey":       domain.KindAssetNotFound,
	"version_heads_environment_fkey": domain.KindEnvironmentNotFound,
	"versions_asset_fkey":            domain.KindAssetNotFound,
	"versions_head_fkey":             domain.KindAssetNotFound,
	"api_keys_tenant_fkey":           domain.KindTenantNotFound,
	"api_keys_environment_fkey":      domain.KindEnvironmentNotFound,
	"audit_entries_tenant_fkey":      domain.KindTenantNotFound,
	"audit_heads_tenant_fkey":        domain.KindTenantNotFound,
	"read_counts_pkey":               domain.KindConflict,
	"read_counts_tenant_fkey":        domain.KindTenantNotFound,
}

// Violation maps a unique or foreign-key violation to its constraint's kind
// and any check violation to VALIDATION_ERROR.
func (dialect) Violation(err error) (domain.Kind, bool) {
	pqErr := pq.As(err)
	if pqErr == nil {
		return "", false
	}
	switch pqErr.Code {
	case pqerror.UniqueViolation, pqerror.ForeignKeyViolation:
		kind, ok := constraintKinds[pqErr.Constraint]
		return kind, ok
	case pqerror.CheckViolation:
		return domain.KindInvalid, true
	case pqerror.TRDeadlockDetected:
		// Two writes of assets that reference each other locked each
		// other's heads; the one aborted may try again.
		return domain.KindConflict, true
	}
	return "", false
}

// Unavailable recognizes the server saying it cannot do the work now:
// any connection exception (class 08), an administrator's or a crash's
// shutdown of the backend (57P01, 57P02; pg_terminate_backend sends
// 57P01), a server not yet accepting connections (57P03), a statement
// canceled (57014: statement_timeout, or our own cancellation when a
// context ends), too many connections or another lack of resources
// (class 53), and lib/pq's errors of a connection that is gone.
func (dialect) Unavailable(err error) bool {
	if errors.Is(err, pq.ErrSSLNotSupported) {
		return true
	}
	pqErr := pq.As(err)
	if pqErr == nil {
		return false
	}
	switch pqErr.Code {
	case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow, pqerror.QueryCanceled:
		return true
	}
	switch pqErr.Code.Class() {
	case pqerror.ClassConnectionException, pqerror.ClassInsufficientResources:
		return true
	}
	return false
}

// Directory returns the SECURITY DEFINER functions of the pre-tenant lookups
// (migrations/postgres/00004_directory.sql): owned by the NOLOGIN role
// configmat_directory, each returns only the columns it needs, and the
// service's role cannot read the tables themselves without a tenant bound.
func (dialect) Directory() sqlstore.DirectoryQueries {
	return sqlstore.DirectoryQueries{ // #nosec G101 -- queries that read key digests, no credential
		APIKeyByDigest:    `SELECT id, tenant_id, digest, environment, expires_at, revoked_at FROM directory_api_key_by_digest(?)`,
		MembershipsOfUser: `SELECT tenant_id, slug, name, role FROM directory_memberships_of_user(?)`,
		TenantBySlug:      `SELECT id, slug, name FROM directory_tenant_by_slug(?)`,
		AnyDataKey:        `SELECT tenant_id AS id, data_key_id, data_key FROM directory_any_data_key()`,
		DataKeyUses:       `SELECT data_key_id, tenants, tenant_id AS id, data_key FROM directory_data_key_uses()`,
		TenantsNotOnKey:   `SELECT tenant_id AS id FROM directory_tenants_not_on_key(?, ?)`,
	}
}

// changesChannel is the LISTEN/NOTIFY channel of committed changes.
const changesChannel = "configmat_changes"

// Changes notifies the change feed from inside the transaction; PostgreSQL
// delivers a notification only if and when the transaction commits.
func (dialect) Changes(tx *sqlx.Tx) sqlstore.ChangeQueue { return &notifier{tx: tx} }

// notifier sends a transaction's changes with pg_notify, each payload
// written into the statement as a literal (pq.QuoteLiteral): the changes
// ride on the audit entry's statement (Returning), and a statement of
// their own, which has no parameter and so takes one round trip (the
// simple query protocol), sends what is left before the commit (Flush).
// PostgreSQL drops a repeated notification of a transaction, so a change
// sent twice is delivered once.
type notifier struct {
	tx *sqlx.Tx
	// calls are the pg_notify calls of the changes not yet sent; offered
	// is how many of them the last Returning clause holds.
	calls   []string
	offered int
}

// Publish queues c, as JSON, for delivery after commit.
func (n *notifier) Publish(_ context.Context, c domain.Change) error {
	payload, err := json.Marshal(changeMessage(c))
	if err != nil {
		return domain.Wrap(err, "could not encode the change")
	}
	n.calls = append(n.calls, notifyCall(payload))
	return nil
}

// Returning is the RETURNING clause of the queued calls.
func (n *notifier) Returning() string {
	n.offered = len(n.calls)
	if n.offered == 0 {
		return ""
	}
	return " RETURNING " + strings.Join(n.calls, ", ")
}

// Carried drops the calls of the last Returning clause, which were sent.
func (n *notifier) Carried() {
	n.calls = n.calls[n.offered:]
	n.offered = 0
}

// Flush sends the calls left in one statement.
func (n *notifier) Flush(ctx context.Context) error {
	if len(n.calls) == 0 {
		return nil
	}
	if _, err := n.tx.ExecContext(ctx, "SELECT "+strings.Join(n.calls, ", ")); err != nil {
		return err // the store translates it (a lost connection answers SERVICE_UNAVAILABLE)
	}
	n.calls, n.offered = nil, 0
	return nil
}

// notifyCall is the pg_notify of payload on the changes channel, the
// payload quoted as a literal.
func notifyCall(payload []byte) string {
	return `pg_notify('` + changesChannel + `', ` + pq.QuoteLiteral(string(payload)) + `)`
}

// Committed has nothing to do: PostgreSQL delivers at commit.
func (*notifier) Committed() {}

// changeMessage is a change as sent on the channel; its field names are the
// wire format between processes of different releases.
type changeMessage struct {
	Kind        domain.ChangeKind `json:"kind"`
	TenantID    domain.TenantID   `json:"tenant_id"`
	AssetID     domain.AssetID    `json:"asset_id,omitempty"`
	Environment string            `json:"environment,omitempty"`
	APIKeyID    domain.APIKeyID   `json:"api_key_id,omitempty"`
	UserID      domain.UserID     `json:"user_id,omitempty"`
}

// decodeChange parses a notification payload; ok is false for anything that
// is not a change of a known kind with a tenant.
func decodeChange(payload string) (domain.Change, bool) {
	var m changeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return domain.Change{}, false
	}
	if m.TenantID == "" || (m.Kind != domain.ChangeValues && m.Kind != domain.ChangeAPIKey && m.Kind != domain.ChangeMember) {
		return domain.Change{}, false
	}
	return domain.Change(m), true
}
