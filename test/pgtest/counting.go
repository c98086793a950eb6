package pgtest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lib/pq"
)

// CountingDriverName is a database/sql driver that wraps lib/pq and counts
// the statements (Exec and Query calls, prepared or not) sent on connections
// opened with a DSN from NewCounter. BEGIN, COMMIT and ROLLBACK are not
// counted: database/sql sends them through the transaction interface.
const CountingDriverName = "configmat-counting-postgres"

func init() { sql.Register(CountingDriverName, countingDriver{}) }

// Counter counts the statements of the connections opened with its DSN.
type Counter struct {
	n atomic.Int64
}

// Count returns the number of statements counted since the last Reset.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

var (
	countersMu sync.Mutex
	counters   = map[string]*Counter{}
	counterSeq int
)

// NewCounter returns a counter and the DSN (rawURL with a unique
// application_name) that counts into it when opened with CountingDriverName.
func NewCounter(t testing.TB, rawURL string) (*Counter, string) {
	t.Helper()
	countersMu.Lock()
	defer countersMu.Unlock()
	counterSeq++
	dsn, err := withQuery(rawURL, "application_name", "configmat-counted-"+strconv.Itoa(counterSeq))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	c := &Counter{}
	counters[dsn] = c
	return c, dsn
}

// countingDriver opens lib/pq connections that count into their DSN's counter.
type countingDriver struct{}

// Open opens a counted lib/pq connection.
func (countingDriver) Open(dsn string) (driver.Conn, error) {
	countersMu.Lock()
	c := counters[dsn]
	countersMu.Unlock()
	if c == nil {
		return nil, errors.New("pgtest: DSN not made by NewCounter")
	}
	conn, err := pq.Driver{}.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, counter: c}, nil
}

// countingConn passes every call to lib/pq's connection, counting statements.
type countingConn struct {
	driver.Conn
	counter *Counter
}

// The interfaces that lib/pq's connection implements and database/sql uses.
var (
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

// BeginTx begins a transaction (not counted).
func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// PrepareContext prepares a statement whose executions are counted.
func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	stmt, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: stmt, counter: c.counter}, nil
}

// ExecContext counts and executes a statement.
func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.counter.n.Add(1)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// QueryContext counts and runs a query.
func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.counter.n.Add(1)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

// Ping checks the connection (not counted).
func (c *countingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

// ResetSession prepares the connection for reuse.
func (c *countingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

// IsValid reports whether the connection may be reused.
func (c *countingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// CheckNamedValue lets lib/pq convert arguments.
func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// countingStmt counts the executions of a prepared statement.
type countingStmt struct {
	driver.Stmt
	counter *Counter
}

// ExecContext counts and executes the statement.
func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.counter.n.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext counts and runs the statement.
func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.counter.n.Add(1)
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}
