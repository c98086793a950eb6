package pgtest

import (
	"context"
	"database/sql"
	"sync"
	"testing"
)

// CancelingDriverName is a database/sql driver that wraps lib/pq and, on
// connections opened with a DSN from NewCanceler, cancels a context just
// before, or just after, a chosen step: a BEGIN, a statement (Exec or
// Query, prepared or not) or a COMMIT, counted from 1 since the canceler
// was armed, as when a client goes away at that very moment.
const CancelingDriverName = "configmat-canceling-postgres"

func init() { sql.Register(CancelingDriverName, hookedDriver{}) }

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

// step counts one step of any kind and, when it is the armed one, cancels
// before it or returns the cancellation to call once it has returned.
func (c *Canceler) step(step) (done func(), err error) {
	c.mu.Lock()
	c.steps++
	cancel := func() {}
	if c.steps == c.at && c.cancel != nil {
		cancel, c.fired = c.cancel, true
	}
	after := c.after
	c.mu.Unlock()
	if after {
		return cancel, nil
	}
	cancel()
	return func() {}, nil
}

// NewCanceler returns a canceler and the DSN (rawURL with a unique
// application_name) whose connections it steps when opened with
// CancelingDriverName.
func NewCanceler(t testing.TB, rawURL string) (*Canceler, string) {
	t.Helper()
	c := &Canceler{}
	return c, hookedDSN(t, rawURL, "configmat-canceled", c)
}
