package ratelimit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// fakeShared is a shared store that answers from memory or fails, as the
// test says, and counts its calls. When gate is set, every call waits on it
// first.
type fakeShared struct {
	limiter.Store
	calls atomic.Int64
	mu    sync.Mutex
	err   error
	gate  chan struct{}
}

func newFakeShared() *fakeShared { return &fakeShared{Store: NewMemoryStore()} }

func (s *fakeShared) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	s.calls.Add(1)
	s.mu.Lock()
	err, gate := s.err, s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return limiter.Context{}, ctx.Err()
		}
	}
	if ctx.Err() != nil {
		return limiter.Context{}, ctx.Err()
	}
	if err != nil {
		return limiter.Context{}, err
	}
	return s.Store.Get(ctx, key, rate)
}

func (s *fakeShared) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *fakeShared) hold(gate chan struct{}) {
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// circuitFixture is a Limiter with a fallback over a fakeShared, a fake
// clock and a log the test reads.
type circuitFixture struct {
	l      *Limiter
	shared *fakeShared
	clock  *fakeClock
	log    *logtest.Hook
}

func newCircuitFixture(t *testing.T, rates Rates) *circuitFixture {
	t.Helper()
	logger, hook := logtest.NewNullLogger()
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	shared := newFakeShared()
	l := NewWithFallback(shared, rates, CircuitOptions{
		Backoff:        time.Second,
		ReportInterval: 10 * time.Second,
		Logger:         logger,
		Now:            clock.Now,
	})
	return &circuitFixture{l: l, shared: shared, clock: clock, log: hook}
}

func (f *circuitFixture) take(t *testing.T, class ports.RateClass) (ports.RateDecision, error) {
	t.Helper()
	return f.l.Take(context.Background(), class, "caller")
}

// mustPass takes an authenticated request that must be allowed without error.
func (f *circuitFixture) mustPass(t *testing.T, class ports.RateClass) ports.RateDecision {
	t.Helper()
	d, err := f.take(t, class)
	if err != nil || !d.Allowed {
		t.Fatalf("Take(%s) = %+v, %v; want allowed without error", class, d, err)
	}
	return d
}

// lines returns the logged messages.
func (f *circuitFixture) lines() []string {
	var out []string
	for _, e := range f.log.AllEntries() {
		out = append(out, e.Level.String()+": "+e.Message)
	}
	return out
}

func wideRates(t *testing.T) Rates {
	rate := mustRate(t, "1000/minute")
	return Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate}
}

var errRedisDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func TestCircuitOpensOnFailure(t *testing.T) {
	for _, class := range []ports.RateClass{ports.RateUser, ports.RateAPIKey} {
		t.Run(string(class), func(t *testing.T) {
			f := newCircuitFixture(t, wideRates(t))
			f.mustPass(t, class)
			f.shared.fail(errRedisDown)
			// The failing request itself is counted in process.
			if d := f.mustPass(t, class); d.Limit != 1000 {
				t.Errorf("fallback decision %+v, want the same rate's limit 1000", d)
			}
			_, err := f.take(t, ports.RateAnonymous)
			if !domain.IsKind(err, domain.KindUnavailable) || !errors.Is(err, errRedisDown) {
				t.Errorf("anonymous Take while open = %v, want SERVICE_UNAVAILABLE caused by the store's error", err)
			}
			lines := f.lines()
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: rate limit store unavailable") {
				t.Errorf("log %q, want one error line saying the store is unavailable", lines)
			}
		})
	}
}

func TestCircuitAnonymousFailureOpensToo(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	if _, err := f.take(t, ports.RateAnonymous); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("anonymous Take with the store failing = %v, want SERVICE_UNAVAILABLE", err)
	}
	calls := f.shared.calls.Load()
	f.mustPass(t, ports.RateUser)
	if got := f.shared.calls.Load(); got != calls {
		t.Errorf("the store was called %d more times after the anonymous failure opened the circuit", got-calls)
	}
}

func TestCircuitLeavesTheStoreAloneDuringBackoff(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	f.mustPass(t, ports.RateUser)
	calls := f.shared.calls.Load()
	for range 100 {
		f.mustPass(t, ports.RateAPIKey)
		f.mustPass(t, ports.RateUser)
		_, _ = f.take(t, ports.RateAnonymous)
		f.clock.advance(9 * time.Millisecond) // 300 requests in 0.9 s
	}
	if got := f.shared.calls.Load(); got != calls {
		t.Fatalf("the store was called %d times during the back-off, want none", got-calls)
	}
}

func TestCircuitFallbackKeepsTheRates(t *testing.T) {
	f := newCircuitFixture(t, Rates{
		Anonymous:   mustRate(t, "3/minute"),
		User:        mustRate(t, "3/minute"),
		APIKey:      mustRate(t, "1000/hour"),
		APIKeyBurst: mustRate(t, "2/minute"),
	})
	f.shared.fail(errRedisDown)
	for class, limit := range map[ports.RateClass]int{ports.RateUser: 3, ports.RateAPIKey: 2} {
		for i := range limit + 1 {
			d, err := f.take(t, class)
			if err != nil || d.Allowed != (i < limit) {
				t.Errorf("%s take #%d in process = %+v, %v; want allowed %v", class, i+1, d, err, i < limit)
			}
		}
	}
}

func TestCircuitHalfOpenProbe(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	f.mustPass(t, ports.RateUser)
	f.clock.advance(time.Second)

	// The first request after the back-off probes the store, which hangs;
	// meanwhile every other request keeps the fallback.
	gate := make(chan struct{})
	f.shared.hold(gate)
	f.shared.fail(nil)
	calls := f.shared.calls.Load()
	probeDone := make(chan error, 1)
	go func() {
		_, err := f.l.Take(context.Background(), ports.RateUser, "prober")
		probeDone <- err
	}()
	if !waitUntil(func() bool { return f.shared.calls.Load() == calls+1 }) {
		t.Fatal("no request probed the store after the back-off")
	}
	for range 20 {
		f.mustPass(t, ports.RateUser)
		if _, err := f.take(t, ports.RateAnonymous); !domain.IsKind(err, domain.KindUnavailable) {
			t.Fatalf("anonymous Take during the probe = %v, want SERVICE_UNAVAILABLE", err)
		}
	}
	if got := f.shared.calls.Load(); got != calls+1 {
		t.Fatalf("%d calls reached the store during the probe, want only the probe's", got-calls)
	}

	// The probe's answer closes the circuit.
	close(gate)
	if err := <-probeDone; err != nil {
		t.Fatalf("the probe: %v", err)
	}
	f.shared.hold(nil)
	before := f.shared.calls.Load()
	f.mustPass(t, ports.RateUser)
	if _, err := f.take(t, ports.RateAnonymous); err != nil {
		t.Fatalf("anonymous Take after the recovery: %v", err)
	}
	if got := f.shared.calls.Load(); got != before+2 {
		t.Fatalf("after the recovery %d of 2 requests reached the store", got-before)
	}
	lines := f.lines()
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "warning: rate limit store available again") {
		t.Fatalf("log %q, want the opening line and one recovery line", lines)
	}
	if !strings.Contains(lines[1], "21 requests were counted in process and 20 anonymous refused") {
		t.Errorf("recovery line %q does not count the outage's requests", lines[1])
	}
}

func TestCircuitFailedProbeBacksOffAgain(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	f.mustPass(t, ports.RateUser)
	for round := range 3 {
		f.clock.advance(time.Second)
		calls := f.shared.calls.Load()
		f.mustPass(t, ports.RateUser) // the probe fails; counted in process
		f.mustPass(t, ports.RateUser)
		f.clock.advance(999 * time.Millisecond)
		f.mustPass(t, ports.RateUser)
		if got := f.shared.calls.Load(); got != calls+1 {
			t.Fatalf("round %d: %d calls reached the store in one back-off, want the probe only", round+1, got-calls)
		}
		f.clock.advance(time.Millisecond)
	}
	if lines := f.lines(); len(lines) != 1 {
		t.Fatalf("log %q, want only the opening line: failed probes are counted, not logged", lines)
	}
}

func TestCircuitLogsOneLinePerInterval(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	// 35 seconds of traffic, 250 requests of each class a second.
	for range 35 * 250 {
		_, _ = f.l.Take(context.Background(), ports.RateUser, "u")
		_, _ = f.l.Take(context.Background(), ports.RateAnonymous, "a")
		f.clock.advance(4 * time.Millisecond)
	}
	lines := f.lines()
	if len(lines) != 4 {
		t.Fatalf("log of a 35 s outage has %d lines, want the opening line and one per 10 s:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "requests counted in process /") || !strings.Contains(l, "anonymous refused in the last 10s") {
			t.Errorf("interval line %q does not give its counts", l)
		}
	}
	e := f.log.AllEntries()[1]
	for _, field := range []string{"counted_in_process", "anonymous_refused"} {
		if n, _ := e.Data[field].(int64); n < 2499 || n > 2501 {
			t.Errorf("first interval's %s = %v, want the 2500 requests of 10 s", field, e.Data[field])
		}
	}
}

func TestCircuitCanceledRequestIsNoFailure(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
		_, err := f.l.Take(ctx, class, "gone")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Take(%s) with a canceled context = %v, want an error wrapping context.Canceled", class, err)
		}
		if err != nil && strings.Contains(err.Error(), "rate limit store is unavailable") {
			t.Errorf("a canceled request reads as a store failure: %v", err)
		}
	}
	calls := f.shared.calls.Load()
	f.mustPass(t, ports.RateUser)
	if _, err := f.take(t, ports.RateAnonymous); err != nil {
		t.Fatalf("anonymous Take after canceled requests: %v (the circuit opened)", err)
	}
	if got := f.shared.calls.Load(); got != calls+2 {
		t.Errorf("%d of 2 requests reached the store after canceled ones: the circuit opened", got-calls)
	}
	if lines := f.lines(); len(lines) != 0 {
		t.Errorf("canceled requests logged %q, want nothing", lines)
	}
}

func TestCircuitCanceledProbeHandsBackTheProbe(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	f.shared.fail(errRedisDown)
	f.mustPass(t, ports.RateUser)
	f.clock.advance(time.Second)
	f.shared.fail(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.l.Take(ctx, ports.RateUser, "gone"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled probe = %v, want context.Canceled", err)
	}
	// The next request probes instead, and closes the circuit.
	f.mustPass(t, ports.RateUser)
	if _, err := f.take(t, ports.RateAnonymous); err != nil {
		t.Fatalf("anonymous Take after the second probe: %v", err)
	}
}

func TestCircuitConcurrentUse(t *testing.T) {
	f := newCircuitFixture(t, wideRates(t))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				switch {
				case i == 0 && j%50 == 0:
					f.shared.fail(errRedisDown)
				case i == 0 && j%50 == 25:
					f.shared.fail(nil)
				}
				_, _ = f.l.Take(context.Background(), ports.RateAPIKey, "k")
				f.clock.advance(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	// Openings and recoveries alternate, starting with an opening.
	open := false
	for _, l := range f.lines() {
		switch {
		case strings.Contains(l, "retrying every"):
			if open {
				t.Fatalf("the circuit opened twice without recovering: %q", f.lines())
			}
			open = true
		case strings.Contains(l, "available again"):
			if !open {
				t.Fatalf("the circuit recovered without having opened: %q", f.lines())
			}
			open = false
		}
	}
}

// waitUntil polls cond for up to five seconds.
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}
