package pgtest

import (
	"context"
	"database/sql/driver"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/lib/pq"
)

// stepKind is what a hooked connection is about to do.
type stepKind int

const (
	stepBegin     stepKind = iota // BEGIN of a transaction
	stepStatement                 // an Exec or Query, prepared or not
	stepCommit                    // COMMIT of a transaction
)

// step is what a hooked connection is about to do: its kind, the DSN the
// connection was opened with and, for a statement, its text and arguments
// as the driver sends them.
type step struct {
	kind  stepKind
	dsn   string
	query string
	args  []driver.NamedValue
}

// hooks observe the steps of the connections opened with one DSN: step is
// called before each step and returns what to call once it has returned,
// or an error that the step answers instead of running (a COMMIT refused
// rolls its transaction back).
type hooks interface {
	step(s step) (done func(), err error)
}

var (
	hookedMu  sync.Mutex
	hookedBy  = map[string]hooks{}
	hookedSeq int
)

// hookedDSN registers h under a unique application_name (name and a
// number) and returns rawURL with it, which the hooked drivers open. The
// hooks are found by that name, so that options the store adds to the URL
// (binary_parameters) do not lose them.
func hookedDSN(t testing.TB, rawURL, name string, h hooks) string {
	t.Helper()
	hookedMu.Lock()
	defer hookedMu.Unlock()
	hookedSeq++
	app := name + "-" + strconv.Itoa(hookedSeq)
	dsn, err := withQuery(rawURL, "application_name", app)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	hookedBy[app] = h
	return dsn
}

// hookedDriver opens lib/pq connections whose steps go through the hooks
// registered for their DSN.
type hookedDriver struct{}

// Open opens a hooked lib/pq connection.
func (hookedDriver) Open(dsn string) (driver.Conn, error) {
	var h hooks
	if u, err := url.Parse(dsn); err == nil {
		hookedMu.Lock()
		h = hookedBy[u.Query().Get("application_name")]
		hookedMu.Unlock()
	}
	if h == nil {
		return nil, errors.New("pgtest: DSN not made by NewCounter, NewCanceler or NewRecorder")
	}
	conn, err := pq.Driver{}.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &hookedConn{Conn: conn, h: h, dsn: dsn}, nil
}

// hookedConn passes every call to lib/pq's connection, through the hooks.
type hookedConn struct {
	driver.Conn
	h   hooks
	dsn string
}

// The interfaces that lib/pq's connection implements and database/sql uses.
var (
	_ driver.ConnBeginTx        = (*hookedConn)(nil)
	_ driver.ConnPrepareContext = (*hookedConn)(nil)
	_ driver.ExecerContext      = (*hookedConn)(nil)
	_ driver.QueryerContext     = (*hookedConn)(nil)
	_ driver.Pinger             = (*hookedConn)(nil)
	_ driver.SessionResetter    = (*hookedConn)(nil)
	_ driver.Validator          = (*hookedConn)(nil)
	_ driver.NamedValueChecker  = (*hookedConn)(nil)
)

// BeginTx is a step: it begins a transaction whose COMMIT is a step too.
func (c *hookedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	done, err := c.h.step(step{kind: stepBegin, dsn: c.dsn})
	if err != nil {
		return nil, err
	}
	defer done()
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &hookedTx{Tx: tx, h: c.h, dsn: c.dsn}, nil
}

// PrepareContext prepares a statement whose executions are steps.
func (c *hookedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	stmt, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &hookedStmt{Stmt: stmt, h: c.h, dsn: c.dsn, query: query}, nil
}

// ExecContext executes a statement, a step.
func (c *hookedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	done, err := c.h.step(step{kind: stepStatement, dsn: c.dsn, query: query, args: args})
	if err != nil {
		return nil, err
	}
	defer done()
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// QueryContext runs a query, a step.
func (c *hookedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	done, err := c.h.step(step{kind: stepStatement, dsn: c.dsn, query: query, args: args})
	if err != nil {
		return nil, err
	}
	defer done()
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

// Ping checks the connection (not a step).
func (c *hookedConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

// ResetSession prepares the connection for reuse.
func (c *hookedConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid reports whether the connection may be reused.
func (c *hookedConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// CheckNamedValue lets lib/pq convert arguments.
func (c *hookedConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// hookedTx makes COMMIT a step (a ROLLBACK is none: it is how every canceled
// transaction ends).
type hookedTx struct {
	driver.Tx
	h   hooks
	dsn string
}

// Commit commits, a step; a COMMIT the hooks refuse rolls the transaction
// back and answers their error.
func (t *hookedTx) Commit() error {
	done, err := t.h.step(step{kind: stepCommit, dsn: t.dsn})
	if err != nil {
		return errors.Join(err, t.Tx.Rollback())
	}
	defer done()
	return t.Tx.Commit()
}

// hookedStmt makes each execution of a prepared statement a step.
type hookedStmt struct {
	driver.Stmt
	h     hooks
	dsn   string
	query string
}

// ExecContext executes the statement, a step.
func (s *hookedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	done, err := s.h.step(step{kind: stepStatement, dsn: s.dsn, query: s.query, args: args})
	if err != nil {
		return nil, err
	}
	defer done()
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs the statement, a step.
func (s *hookedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	done, err := s.h.step(step{kind: stepStatement, dsn: s.dsn, query: s.query, args: args})
	if err != nil {
		return nil, err
	}
	defer done()
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
