package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Store is the Transactor over one database: it hands each transaction's
// function the stores of this package bound to that transaction.
type Store struct {
	db      *sqlx.DB
	dialect Dialect
	locking Locking
	// timeout bounds each transaction; 0 leaves it unbounded.
	timeout time.Duration
	// rebound holds each statement in the dialect's placeholders.
	rebound sync.Map
}

var _ ports.Transactor = (*Store)(nil)

// New returns the store over db, whose statements d adapts.
func New(db *sqlx.DB, d Dialect) *Store {
	return &Store{db: db, dialect: d, locking: d.Locking()}
}

// SetStatementTimeout bounds every transaction that InTenant and Global
// run, from BEGIN to COMMIT, every statement in it and the wait for a pooled
// connection included, to d (DB_STATEMENT_TIMEOUT); 0, the default, leaves
// them unbounded. Work past the bound is rolled back and answers
// SERVICE_UNAVAILABLE. Call it before the store is used.
func (s *Store) SetStatementTimeout(d time.Duration) { s.timeout = d }

// inTxKey marks the context of a running transaction: a transaction begun
// inside another would wait forever on a single-connection pool, and would
// not see the outer one's writes on any other.
type inTxKey struct{}

// InTenant runs fn in one transaction bound to tenantID, which must be a
// UUID (VALIDATION_ERROR before any SQL). The dialect binds the tenant first.
func (s *Store) InTenant(ctx context.Context, tenantID domain.TenantID, fn func(ctx context.Context, st ports.TenantTx) error) error {
	if tenant, ok := CanonicalUUID(string(tenantID)); !ok || tenant != string(tenantID) {
		return domain.NotUUID("tenant_id")
	}
	return s.run(ctx, tenantID, func(ctx context.Context, t *txn) error {
		if err := s.dialect.BindTenant(ctx, t.tx, t.tenant); err != nil {
			return t.fail(err, "could not bind the transaction to its tenant")
		}
		return fn(ctx, tenantTx{globalTx{t}})
	})
}

// Global runs fn in one transaction with no tenant bound.
func (s *Store) Global(ctx context.Context, fn func(ctx context.Context, st ports.GlobalTx) error) error {
	return s.run(ctx, "", func(ctx context.Context, t *txn) error { return fn(ctx, globalTx{t}) })
}

// run begins a transaction, runs body, and commits when body returns nil or
// rolls back otherwise (and when body panics, re-raising the panic). Changes
// are delivered only after the commit. The transaction runs under the
// store's timeout, and its failures answer by what ended it (outcome).
func (s *Store) run(ctx context.Context, tenant domain.TenantID, body func(ctx context.Context, t *txn) error) error {
	if ctx.Value(inTxKey{}) != nil {
		return domain.Errorf(domain.KindInternal, "a transaction cannot begin inside another one")
	}
	txCtx := ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		txCtx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	return s.outcome(ctx, txCtx, s.attempt(txCtx, tenant, body))
}

// attempt is run's transaction. When ctx ends before the commit,
// database/sql rolls the transaction back by itself; the Rollback and
// Commit here then answer sql.ErrTxDone or ctx's error, which outcome
// reads as the end of ctx, never as a transaction finished twice.
func (s *Store) attempt(ctx context.Context, tenant domain.TenantID, body func(ctx context.Context, t *txn) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return domain.Unavailable(err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	t := &txn{store: s, tx: tx, dialect: s.dialect, rebound: &s.rebound, locking: s.locking, tenant: tenant}
	err = body(context.WithValue(ctx, inTxKey{}, true), t)
	if err == nil && t.changes != nil {
		// The changes that no statement carried go out just before the commit.
		err = t.fail(t.changes.Flush(ctx), "could not publish the changes")
	}
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && ctx.Err() == nil {
			return errors.Join(err, t.fail(rbErr, "could not roll back the transaction"))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return t.fail(err, "could not commit the transaction")
	}
	if t.changes != nil {
		t.changes.Committed()
	}
	return nil
}

// outcome answers a transaction's error by what ended it. An answer the
// stores or the core chose (a missing row, a conflict, a validation error)
// stands. Otherwise: when the caller's ctx was canceled (the client went
// away) the outcome is CANCELED; when txCtx, the store's timeout, ran out
// first, or ctx's own deadline did, SERVICE_UNAVAILABLE; when the error is
// a lost connection or an unavailable server (lost), SERVICE_UNAVAILABLE.
// In none of these cases did anything commit, except after a commit whose
// answer was lost with the connection, which is then SERVICE_UNAVAILABLE.
func (s *Store) outcome(ctx, txCtx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if kind := domain.KindOf(err); kind != domain.KindInternal && kind != domain.KindUnavailable {
		return err
	}
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return domain.Canceled(err)
	case txCtx.Err() != nil:
		return domain.TimedOut(err)
	case domain.IsKind(err, domain.KindInternal) && s.lost(err):
		return domain.Unavailable(err)
	}
	return err
}

// errDBClosed is database/sql's text for a pool that was closed, an error
// it does not export.
const errDBClosed = "sql: database is closed"

// lost reports whether err says that the database could not do the work,
// rather than that the work was wrong: a broken or closed connection or
// pool, a network failure, an exhausted deadline, or what the dialect
// recognizes (a server shutting down, a database locked too long).
func (s *Store) lost(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr):
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == errDBClosed {
			return true
		}
	}
	return s.dialect.Unavailable(err)
}

// txn is one transaction, bound to a tenant or (tenant "") to none.
type txn struct {
	store   *Store
	tx      *sqlx.Tx
	dialect Dialect
	rebound *sync.Map
	locking Locking
	tenant  domain.TenantID
	changes ChangeQueue
}

// rebind writes query's "?" placeholders in the dialect's style, once per
// distinct statement (there are a few dozen): rebinding allocates.
func (t *txn) rebind(query string) string {
	if q, ok := t.rebound.Load(query); ok {
		return q.(string)
	}
	q := sqlx.Rebind(t.dialect.BindType(), query)
	t.rebound.Store(query, q)
	return q
}

// exec runs a statement.
func (t *txn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.rebind(query), args...)
}

// get scans the one row of a query into dest.
func (t *txn) get(ctx context.Context, dest any, query string, args ...any) error {
	return t.tx.GetContext(ctx, dest, t.rebind(query), args...)
}

// list scans every row of a query into dest, a pointer to a slice.
func (t *txn) list(ctx context.Context, dest any, query string, args ...any) error {
	return t.tx.SelectContext(ctx, dest, t.rebind(query), args...)
}

// execOne runs a statement that must change exactly one row; one that
// changed none answers the kind's store error.
func (t *txn) execOne(ctx context.Context, none domain.Kind, what, query string, args ...any) error {
	n, err := t.execCount(ctx, what, query, args...)
	if err == nil && n == 0 {
		return domain.StoreError(none)
	}
	return err
}

// execCount runs a statement and returns how many rows it changed, a
// driver failure translated.
func (t *txn) execCount(ctx context.Context, what, query string, args ...any) (int64, error) {
	return t.execCountRebound(ctx, what, t.rebind(query), args...)
}

// execCountRebound is execCount of a statement already in the dialect's
// placeholders, which is not kept among the rebound ones: a statement that
// carries literals (a RETURNING clause of notifications) differs each time.
func (t *txn) execCountRebound(ctx context.Context, what, rebound string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, rebound, args...)
	if err != nil {
		return 0, t.fail(err, what)
	}
	n, err := res.RowsAffected()
	return n, domain.Wrap(err, "could not count the changed rows")
}

// fail turns a driver error into a domain error: a constraint violation the
// dialect knows becomes its kind's store error, a lost connection or an
// unavailable database (Store.lost) SERVICE_UNAVAILABLE, anything else an
// internal error that keeps err for the logs and says what failed. nil
// stays nil. Errors that the end of the transaction's context caused are
// answered by Store.outcome.
func (t *txn) fail(err error, what string) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if kind, ok := t.dialect.Violation(err); ok {
		return domain.StoreViolation(kind, err)
	}
	if t.store.lost(err) {
		return domain.Unavailable(err)
	}
	return domain.Wrap(err, what)
}

// own refuses an entity of another tenant than the bound one; an empty
// tenant stands for the bound one.
func (t *txn) own(tenant domain.TenantID) error {
	if tenant == "" || tenant == t.tenant {
		return nil
	}
	return domain.ForeignTenant()
}

// globalTx hands out the global stores of a transaction; tenantTx those of
// a transaction bound to a tenant, the global ones included.
type (
	globalTx struct{ t *txn }
	tenantTx struct{ globalTx }
)

func (g globalTx) Users() ports.UserStore               { return userStore(g) }
func (g globalTx) Tokens() ports.TokenStore             { return tokenStore(g) }
func (g globalTx) Directory() ports.Directory           { return directory(g) }
func (s tenantTx) Tenants() ports.TenantStore           { return tenantStore(s.globalTx) }
func (s tenantTx) Environments() ports.EnvironmentStore { return environmentStore(s.globalTx) }
func (s tenantTx) Assets() ports.AssetStore             { return assetStore(s.globalTx) }
func (s tenantTx) Versions() ports.VersionStore         { return versionStore(s.globalTx) }
func (s tenantTx) Schemas() ports.SchemaStore           { return schemaStore(s.globalTx) }
func (s tenantTx) Members() ports.MemberStore           { return memberStore(s.globalTx) }
func (s tenantTx) APIKeys() ports.APIKeyStore           { return apiKeyStore(s.globalTx) }
func (s tenantTx) Audit() ports.AuditStore              { return auditStore(s.globalTx) }
func (s tenantTx) Changes() ports.ChangePublisher       { return publisher(s.globalTx) }

var (
	_ ports.GlobalTx         = globalTx{}
	_ ports.TenantTx         = tenantTx{}
	_ ports.UserStore        = userStore{}
	_ ports.TokenStore       = tokenStore{}
	_ ports.Directory        = directory{}
	_ ports.TenantStore      = tenantStore{}
	_ ports.MemberStore      = memberStore{}
	_ ports.APIKeyStore      = apiKeyStore{}
	_ ports.EnvironmentStore = environmentStore{}
	_ ports.AssetStore       = assetStore{}
	_ ports.VersionStore     = versionStore{}
	_ ports.SchemaStore      = schemaStore{}
	_ ports.AuditStore       = auditStore{}
	_ ports.ChangePublisher  = publisher{}
)

// parent is a row that an insert's foreign key needs: the kind answered when
// it is missing and the query that selects it.
type parent struct {
	missing domain.Kind
	query   string
	args    []any
}

func userParent(id string) parent {
	return parent{domain.KindUserNotFound, `SELECT 1 FROM users WHERE id = ?`, []any{id}}
}

func (t *txn) tenantParent() parent {
	return parent{domain.KindTenantNotFound, `SELECT 1 FROM tenants WHERE id = ?`, []any{string(t.tenant)}}
}

func (t *txn) assetParent(id string) parent {
	return parent{domain.KindAssetNotFound, `SELECT 1 FROM assets WHERE tenant_id = ? AND id = ?`, []any{string(t.tenant), id}}
}

func (t *txn) environmentParent(name string) parent {
	return parent{domain.KindEnvironmentNotFound, `SELECT 1 FROM environments WHERE tenant_id = ? AND name = ?`, []any{string(t.tenant), name}}
}

// insertUnder runs insert, an INSERT ... SELECT of values, only where every
// parent exists, so that a missing parent is a row not inserted rather than
// a foreign-key violation (which aborts a PostgreSQL transaction and which
// SQLite does not name). When nothing was inserted, it answers the kind of
// the first missing parent.
func (t *txn) insertUnder(ctx context.Context, what, insert string, values []any, parents ...parent) error {
	query, args := underParents(insert, values, parents)
	if n, err := t.execCount(ctx, what, query, args...); err != nil || n == 1 {
		return err
	}
	return t.missingParent(ctx, parents, domain.KindConflict)
}

// underParents adds to insert (an INSERT ... SELECT without WHERE) the
// condition that every parent exists, and their arguments to values.
func underParents(insert string, values []any, parents []parent) (string, []any) {
	query, args := insert, append([]any(nil), values...)
	for i, p := range parents {
		if i == 0 {
			query += " WHERE "
		} else {
			query += " AND "
		}
		query += "EXISTS (" + p.query + ")"
		args = append(args, p.args...)
	}
	return query, args
}

// missingParent answers the kind of the first parent that does not exist,
// or otherwise's when every one does.
func (t *txn) missingParent(ctx context.Context, parents []parent, otherwise domain.Kind) error {
	for _, p := range parents {
		var found []int
		if err := t.list(ctx, &found, p.query, p.args...); err != nil {
			return t.fail(err, "could not check a parent row")
		}
		if len(found) == 0 {
			return domain.StoreError(p.missing)
		}
	}
	return domain.StoreError(otherwise)
}

// fetch reads the row of a lookup and converts it: no row is the missing
// kind's store error.
func fetch[R, T any](ctx context.Context, t *txn, missing domain.Kind, what string, conv func(R) T, query string, args ...any) (T, error) {
	var r R
	var zero T
	err := t.get(ctx, &r, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return zero, domain.StoreError(missing)
	}
	if err != nil {
		return zero, t.fail(err, what)
	}
	return conv(r), nil
}

// fetchAll reads every row of a query and converts each.
func fetchAll[R, T any](ctx context.Context, t *txn, what string, conv func(R) T, query string, args ...any) ([]T, error) {
	var rows []R
	if err := t.list(ctx, &rows, query, args...); err != nil {
		return nil, t.fail(err, what)
	}
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		out = append(out, conv(r))
	}
	return out, nil
}
