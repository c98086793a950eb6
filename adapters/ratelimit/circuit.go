package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Defaults of CircuitOptions.
const (
	// DefaultBackoff is how long the shared store is left alone after it
	// failed before one request tries it again.
	DefaultBackoff = time.Second
	// DefaultReportInterval is how often an open circuit logs its counts.
	DefaultReportInterval = 10 * time.Second
)

// CircuitOptions tune how a Limiter with a fallback (NewWithFallback)
// treats a failing shared store.
type CircuitOptions struct {
	// Backoff is how long no request waits on the shared store after it
	// failed; then one request probes it while the others keep the
	// fallback. Zero means DefaultBackoff.
	Backoff time.Duration
	// ReportInterval is how often an open circuit logs one line with what
	// it counted in process and refused. Zero means DefaultReportInterval.
	ReportInterval time.Duration
	// SyncInterval is how often a Limiter over the Redis store sends Redis
	// the authenticated requests it decided in process. Zero means
	// DefaultSyncInterval; a negative value decides every request by
	// Redis's count, one round trip each.
	SyncInterval time.Duration
	// Logger receives the circuit's lines: one when it opens, one per
	// interval while open, one when the store answers again. Nil uses
	// logrus's standard logger.
	Logger logrus.FieldLogger
	// Now tells the time; nil uses time.Now.
	Now func() time.Time
}

// withDefaults fills in the zero fields of o.
func (o CircuitOptions) withDefaults() CircuitOptions {
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.ReportInterval <= 0 {
		o.ReportInterval = DefaultReportInterval
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Logger == nil {
		o.Logger = logrus.StandardLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// circuit remembers whether the shared store is failing. Closed, every
// request uses the store. Open, no request does until the back-off has
// passed; then exactly one request (the probe) tries it: success closes the
// circuit, failure opens it for another back-off. A closed circuit costs one
// atomic load per request.
type circuit struct {
	opts CircuitOptions
	// open is read without the lock on every request.
	open atomic.Bool

	mu sync.Mutex
	// since is when the circuit opened; retryAt when the next probe may go.
	since, retryAt time.Time
	probing        bool
	// cause is the store's last error, shown in the log lines.
	cause error
	// lastReport is when the counts were last logged; counted and refused
	// are the requests counted in process and refused since then.
	lastReport       time.Time
	counted, refused int64
	// totalCounted and totalRefused cover the whole outage.
	totalCounted, totalRefused int64
}

// newCircuit returns a closed circuit.
func newCircuit(o CircuitOptions) *circuit {
	return &circuit{opts: o.withDefaults()}
}

// admit says whether a request may use the shared store, and whether it is
// the probe of an open circuit (which must then call succeeded, failed or
// released).
func (c *circuit) admit() (useStore, probe bool) {
	if !c.open.Load() {
		return true, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open.Load() {
		return true, false
	}
	if c.probing || c.opts.Now().Before(c.retryAt) {
		return false, false
	}
	c.probing = true
	return true, true
}

// succeeded records an answer of the store; after a probe it closes the
// circuit and logs the outage's totals.
func (c *circuit) succeeded(probe bool) {
	if !probe {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probing = false
	if !c.open.Load() {
		return
	}
	now := c.opts.Now()
	c.opts.Logger.WithFields(logrus.Fields{
		"outage":                 now.Sub(c.since).Round(time.Millisecond).String(),
		"counted_in_process":     c.totalCounted + c.counted,
		"anonymous_refused":      c.totalRefused + c.refused,
		"rate_limit_store_state": "available",
	}).Warnf("rate limit store available again after %s: %d requests were counted in process and %d anonymous refused",
		now.Sub(c.since).Round(time.Millisecond), c.totalCounted+c.counted, c.totalRefused+c.refused)
	c.open.Store(false)
	c.counted, c.refused, c.totalCounted, c.totalRefused = 0, 0, 0, 0
	c.cause = nil
}

// failed records a failure of the store (never a request's own end): it
// opens the circuit, logging one line, or keeps it open for another
// back-off after a failed probe.
func (c *circuit) failed(probe bool, cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	c.cause = cause
	if probe {
		c.probing = false
	}
	if c.open.Load() {
		if probe {
			c.retryAt = now.Add(c.opts.Backoff)
		}
		return
	}
	c.since, c.lastReport, c.retryAt = now, now, now.Add(c.opts.Backoff)
	c.open.Store(true)
	c.opts.Logger.WithError(cause).WithField("rate_limit_store_state", "unavailable").
		Errorf("rate limit store unavailable: counting authenticated requests in process and refusing anonymous ones, retrying every %s", c.opts.Backoff)
}

// released hands the probe back without a verdict: its request ended
// before the store answered, which says nothing about the store.
func (c *circuit) released(probe bool) {
	if !probe {
		return
	}
	c.mu.Lock()
	c.probing = false
	c.mu.Unlock()
}

// countedInProcess records a request counted by the fallback.
func (c *circuit) countedInProcess() { c.record(1, 0) }

// refusedAnonymous records an anonymous request refused while open.
func (c *circuit) refusedAnonymous() { c.record(0, 1) }

// record adds to the interval's counts and logs them once per interval.
func (c *circuit) record(counted, refused int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counted += counted
	c.refused += refused
	now := c.opts.Now()
	if elapsed := now.Sub(c.lastReport); elapsed >= c.opts.ReportInterval {
		c.opts.Logger.WithError(c.cause).WithFields(logrus.Fields{
			"counted_in_process":     c.counted,
			"anonymous_refused":      c.refused,
			"interval":               elapsed.Round(time.Millisecond).String(),
			"rate_limit_store_state": "unavailable",
		}).Errorf("rate limit store unavailable: %d requests counted in process / %d anonymous refused in the last %s",
			c.counted, c.refused, elapsed.Round(time.Second))
		c.totalCounted += c.counted
		c.totalRefused += c.refused
		c.counted, c.refused = 0, 0
		c.lastReport = now
	}
}

// lastCause is the store's last error.
func (c *circuit) lastCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}
