package pgtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/lib/pq"
)

// CancelingDriverName is a database/sql driver that wraps lib/pq and, on
// connections opened with a DSN from NewCanceler, cancels a context just
// before, or just after, a chosen step: a BEGIN, a statement (Exec or
// Query, prepared or not) or a COMMIT, counted from 1 since the canceler
// was armed, as when a client goes away at that very moment.
const CancelingDriverName = "configmat-canceling-postgres"

func init() { sql.Register(CancelingDriverName, cancelingDriver{}) }

// Canceler counts the steps of its connections and cancels once.
type Canceler struct {
	mu     sync.Mutex
	steps  int
	at     int
	after  bool
	cancel context.CancelFunc
	fired  bool
}

// Arm resets the count and makes the at-th step from now cancel with cancel
// before it runs; at 0 only counts.
func (c *Canceler) Arm(at int, cancel context.CancelFunc) { c.arm(at, false, cancel) }

// ArmAfter is Arm, canceling once the at-th step has returned.
func (c *Canceler) ArmAfter(at int, cancel context.CancelFunc) { c.arm(at, true, cancel) }

func (c *Canceler) arm(at int, after bool, cancel context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps, c.at, c.after, c.cancel, c.fired = 0, at, after, cancel, false
}

// Steps returns the number of steps since Arm.
func (c *Canceler) Steps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.steps
}

// Fired reports whether the armed step came and canceled.
func (c *Canceler) Fired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fired
}

// step counts one step and, when it is the armed one, cancels before it
// or returns the cancellation to call once it has returned.
func (c *Canceler) step() (done func()) {
	c.mu.Lock()
	c.steps++
	cancel := func() {}
	if c.steps == c.at && c.cancel != nil {
		cancel, c.fired = c.cancel, true
	}
	after := c.after
	c.mu.Unlock()
	if after {
		return cancel
	}
	cancel()
	return func() {}
}

var (
	cancelersMu  sync.Mutex
	cancelers    = map[string]*Canceler{}
	cancelersSeq int
)

// NewCanceler returns a canceler and the DSN (rawURL with a unique
// application_name) whose connections it steps when opened with
// CancelingDriverName.
func NewCanceler(t testing.TB, rawURL string) (*Canceler, string) {
	t.Helper()
	cancelersMu.Lock()
	defer cancelersMu.Unlock()
	cancelersSeq++
	dsn, err := withQuery(rawURL, "application_name", "configmat-canceled-"+strconv.Itoa(cancelersSeq))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c := &Canceler{}
	cancelers[dsn] = c
	return c, dsn
}

// cancelingDriver opens lib/pq connections stepped by their DSN's canceler.
type cancelingDriver struct{}

// Open opens a stepped lib/pq connection.
func (cancelingDriver) Open(dsn string) (driver.Conn, error) {
	cancelersMu.Lock()
	c := cancelers[dsn]
	cancelersMu.Unlock()
	if c == nil {
		return nil, errors.New("pgtest: DSN not made by NewCanceler")
	}
	conn, err := pq.Driver{}.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &cancelingConn{Conn: conn, c: c}, nil
}

// cancelingConn passes every call to lib/pq's connection, stepping first.
type cancelingConn struct {
	driver.Conn
	c *Canceler
}

// The interfaces that lib/pq's connection implements and database/sql uses.
var (
	_ driver.ConnBeginTx        = (*cancelingConn)(nil)
	_ driver.ConnPrepareContext = (*cancelingConn)(nil)
	_ driver.ExecerContext      = (*cancelingConn)(nil)
	_ driver.QueryerContext     = (*cancelingConn)(nil)
	_ driver.Pinger             = (*cancelingConn)(nil)
	_ driver.SessionResetter    = (*cancelingConn)(nil)
	_ driver.Validator          = (*cancelingConn)(nil)
	_ driver.NamedValueChecker  = (*cancelingConn)(nil)
)

// BeginTx is a step: it begins a transaction whose COMMIT is a step too.
func (c *cancelingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	defer c.c.step()()
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &cancelingTx{Tx: tx, c: c.c}, nil
}

// PrepareContext prepares a statement whose executions are steps.
func (c *cancelingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	stmt, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &cancelingStmt{Stmt: stmt, c: c.c}, nil
}

// ExecContext steps and executes a statement.
func (c *cancelingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	defer c.c.step()()
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// QueryContext steps and runs a query.
func (c *cancelingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	defer c.c.step()()
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

// Ping checks the connection (not a step).
func (c *cancelingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

// ResetSession prepares the connection for reuse.
func (c *cancelingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid reports whether the connection may be reused.
func (c *cancelingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// CheckNamedValue lets lib/pq convert arguments.
func (c *cancelingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// cancelingTx steps before COMMIT (a ROLLBACK is no step: it is how every
// canceled transaction ends).
type cancelingTx struct {
	driver.Tx
	c *Canceler
}

// Commit steps and commits.
func (t *cancelingTx) Commit() error {
	defer t.c.step()()
	return t.Tx.Commit()
}

// cancelingStmt steps before each execution of a prepared statement.
type cancelingStmt struct {
	driver.Stmt
	c *Canceler
}

// ExecContext steps and executes the statement.
func (s *cancelingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	defer s.c.step()()
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext steps and runs the statement.
func (s *cancelingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	defer s.c.step()()
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
