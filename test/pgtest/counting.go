package pgtest

import (
	"database/sql"
	"sync/atomic"
	"testing"
)

// CountingDriverName is a database/sql driver that wraps lib/pq and counts
// the statements (Exec and Query calls, prepared or not) sent on connections
// opened with a DSN from NewCounter. BEGIN, COMMIT and ROLLBACK are not
// counted: database/sql sends them through the transaction interface.
const CountingDriverName = "configmat-counting-postgres"

func init() { sql.Register(CountingDriverName, hookedDriver{}) }

// Counter counts the statements of the connections opened with its DSN.
type Counter struct {
	n atomic.Int64
}

// Count returns the number of statements counted since the last Reset.
func (c *Counter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

// step counts statements only.
func (c *Counter) step(s step) (func(), error) {
	if s.kind == stepStatement {
		c.n.Add(1)
	}
	return func() {}, nil
}

// NewCounter returns a counter and the DSN (rawURL with a unique
// application_name) that counts into it when opened with CountingDriverName.
func NewCounter(t testing.TB, rawURL string) (*Counter, string) {
	t.Helper()
	c := &Counter{}
	return c, hookedDSN(t, rawURL, "configmat-counted", c)
}
