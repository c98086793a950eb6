package ratelimit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"

	"github.com/configmat/configmat/ports"
)

// DefaultSyncInterval is how often a Limiter over Redis built by
// NewWithFallback sends Redis the requests it decided in process, and
// learns the counts of the other processes.
const DefaultSyncInterval = 100 * time.Millisecond

// SlackDivisor sets the tolerance of a Limiter that decides in process: a
// process may take at most ⌊limit / SlackDivisor⌋ requests on a counter that
// Redis has not confirmed yet (its slack). A limit below SlackDivisor has
// no slack: each of its requests is counted in Redis before it is decided.
const SlackDivisor = 100

const (
	// syncBatch is the most counters one reconciling EVALSHA carries.
	syncBatch = 128
	// syncTimeout bounds one reconciling call.
	syncTimeout = time.Second
	// sweepEvery is how many reconciles pass between two sweeps of the
	// views whose windows have ended.
	sweepEvery = 10
)

// errStoreClosed reports a store whose client was closed: the process is
// stopping, which is no failure of Redis.
var errStoreClosed = errors.New("the rate limit store's client is closed")

// slack is how many requests a process may take on a counter of rate
// without Redis's confirmation.
func slack(rate limiter.Rate) int64 { return rate.Limit / SlackDivisor }

// viewKey names a counter in a process's views: by the caller's key itself,
// which is no credential and lives in this process's memory anyway (see
// Limiter.count); only the names sent to Redis hide it behind its digest,
// computed once per view and once per round trip, not once per request.
type viewKey struct {
	class ports.RateClass
	key   string
}

// view is what a process knows of one counter in Redis.
type view struct {
	rate limiter.Rate
	// seen is the count Redis answered at the last call on the counter;
	// pending are the requests taken here since, not yet sent, and
	// inflight those sent whose answer has not come back: together the
	// requests Redis has not confirmed.
	seen, pending, inflight int64
	// end is when the counter's window ends, by the local clock.
	end time.Time
	// name is the counter's key in Redis (below the store's prefix).
	name string
}

// views are a process's views of the shared counters its requests count
// on. A request whose counters all have a view of their current window is
// decided by them, without a round trip, when it is certainly refused or
// when each counter has fewer pending requests than its slack; any other
// request is counted in Redis at once, together with its counters' pending
// requests. The pending requests of every counter go to Redis in the
// background every sync interval.
type views struct {
	store multiCounter
	mu    sync.Mutex
	m     map[viewKey]*view
	// dirty lists the counters that got pending requests since the last
	// reconcile.
	dirty      []viewKey
	reconciles int
	// closed stops deciding in process: the reconciling has stopped.
	closed bool
}

func newViews(store multiCounter) *views {
	return &views{store: store, m: map[viewKey]*view{}}
}

// take counts one request on counters of key and decides it: in process
// when the views allow it (never for a probe, which must ask Redis), else
// in Redis in one round trip.
func (v *views) take(ctx context.Context, counters []counter, key string, probe bool) (ports.RateDecision, error) {
	if !probe {
		if d, ok := v.takeLocal(time.Now(), counters, key); ok {
			return d, nil
		}
	}
	return v.takeSynced(ctx, counters, key)
}

// takeLocal decides a request by the views and counts it as pending, when
// every counter has a view of its current window and the request is
// certainly refused (a counter's known count has reached its limit: counts
// only grow within a window) or each counter has fewer unconfirmed requests
// than its slack. Otherwise it changes nothing and ok is false.
func (v *views) takeLocal(now time.Time, counters []counter, key string) (d ports.RateDecision, ok bool) {
	var buf [2]*view
	found := buf[:0]
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return d, false
	}
	refused, withinSlack := false, true
	for _, c := range counters {
		w := v.m[viewKey{c.class, key}]
		if w == nil || !now.Before(w.end) {
			return d, false
		}
		if w.seen+w.pending >= c.rate.Limit {
			refused = true
		}
		if w.pending+w.inflight >= slack(c.rate) {
			withinSlack = false
		}
		found = append(found, w)
	}
	if !refused && !withinSlack {
		return d, false
	}
	for i, c := range counters {
		w := found[i]
		v.addPending(w, viewKey{c.class, key}, 1)
		one := decisionOf(common.GetContextFromState(now, c.rate, w.end, w.seen+w.pending))
		if i == 0 {
			d = one
		} else {
			d = mostRestrictive(d, one)
		}
	}
	return d, true
}

// takeSynced counts one request on counters of key in Redis, with their
// pending requests, in one round trip, and decides it by Redis's counts.
func (v *views) takeSynced(ctx context.Context, counters []counter, key string) (ports.RateDecision, error) {
	digest := keyDigest(key)
	tallies := make([]tally, len(counters))
	var sentBuf [2]int64
	sent := sentBuf[:0]
	v.mu.Lock()
	now := time.Now()
	for i, c := range counters {
		tallies[i] = tally{key: counterKey(c.class, digest), period: c.rate.Period, increment: 1}
		sent = append(sent, v.send(viewKey{c.class, key}, now))
		tallies[i].increment += sent[i]
	}
	v.mu.Unlock()
	states, err := v.store.countAll(ctx, tallies)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		for i, c := range counters {
			v.answered(viewKey{c.class, key}, sent[i], false)
		}
		return ports.RateDecision{}, err
	}
	now = time.Now()
	var d ports.RateDecision
	for i, c := range counters {
		k := viewKey{c.class, key}
		v.answered(k, sent[i], true)
		end := v.learn(k, tallies[i].key, c.rate, states[i], now)
		one := decisionOf(common.GetContextFromState(now, c.rate, end, states[i].count))
		if i == 0 {
			d = one
		} else {
			d = mostRestrictive(d, one)
		}
	}
	return d, nil
}

// reconcile sends Redis every counter's pending requests, in batches of
// one round trip, and learns the counts Redis answers. On an error the
// requests not sent stay pending.
func (v *views) reconcile(ctx context.Context) error {
	now := time.Now()
	v.mu.Lock()
	dirty := v.dirty
	v.dirty = nil
	v.reconciles++
	if v.reconciles%sweepEvery == 0 {
		for k, w := range v.m {
			if !now.Before(w.end) {
				delete(v.m, k)
			}
		}
	}
	tallies := make([]tally, 0, len(dirty))
	keys := make([]viewKey, 0, len(dirty))
	rates := make([]limiter.Rate, 0, len(dirty))
	for _, k := range dirty {
		w := v.m[k]
		if w == nil {
			continue
		}
		if n := v.send(k, now); n > 0 {
			tallies = append(tallies, tally{key: w.name, period: w.rate.Period, increment: n})
			keys = append(keys, k)
			rates = append(rates, w.rate)
		}
	}
	v.mu.Unlock()
	for start := 0; start < len(tallies); start += syncBatch {
		end := min(start+syncBatch, len(tallies))
		states, err := v.store.countAll(ctx, tallies[start:end])
		now := time.Now()
		v.mu.Lock()
		if err != nil {
			for i := start; i < len(tallies); i++ {
				v.answered(keys[i], tallies[i].increment, false)
			}
			v.mu.Unlock()
			return err
		}
		for i, st := range states {
			v.answered(keys[start+i], tallies[start+i].increment, true)
			v.learn(keys[start+i], tallies[start+i].key, rates[start+i], st, now)
		}
		v.mu.Unlock()
	}
	return nil
}

// learn records Redis's answer on counter k and returns its window's end.
// Within one window counts only grow, so the larger of two answers is the
// later one; an answer whose window ends well after the view's is of a new
// window. The caller holds v.mu.
func (v *views) learn(k viewKey, name string, rate limiter.Rate, st counterState, now time.Time) time.Time {
	end := windowEnd(now, rate, st.ttl)
	w := v.m[k]
	switch {
	case w == nil:
		v.m[k] = &view{rate: rate, seen: st.count, end: end, name: name}
		return end
	case !now.Before(w.end):
		// The view's window has ended: its pending requests count for nothing.
		w.pending, w.inflight = 0, 0
		w.seen = st.count
	case end.Sub(w.end) > rate.Period/2:
		w.seen = st.count
	default:
		w.seen = max(w.seen, st.count)
	}
	w.end = end
	return end
}

// close makes every later request be decided by Redis: nothing sends
// pending requests any more after the last reconcile.
func (v *views) close() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
}

// send takes the pending requests of counter k to be sent to Redis, and
// returns how many; the requests of a window that has ended count for
// nothing. The caller holds v.mu.
func (v *views) send(k viewKey, now time.Time) int64 {
	w := v.m[k]
	if w == nil || !now.Before(w.end) {
		return 0
	}
	n := w.pending
	w.pending = 0
	w.inflight += n
	return n
}

// answered records the answer to a call that sent n requests of counter k:
// confirmed, or failed, when they are pending again. The caller holds v.mu.
func (v *views) answered(k viewKey, n int64, ok bool) {
	w := v.m[k]
	if w == nil || n == 0 {
		return
	}
	w.inflight = max(w.inflight-n, 0)
	if !ok {
		v.addPending(w, k, n)
	}
}

// addPending adds n pending requests to view w of counter k. The caller
// holds v.mu.
func (v *views) addPending(w *view, k viewKey, n int64) {
	if w.pending == 0 {
		v.dirty = append(v.dirty, k)
	}
	w.pending += n
}

// syncLoop reconciles the views every interval until Close, then one last
// time. While the circuit is open it leaves Redis alone; a failure opens
// it. It ends quietly when the Redis client is closed. Once it has ended,
// every request asks Redis.
func (l *Limiter) syncLoop(interval time.Duration) {
	defer close(l.done)
	defer l.views.close()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-l.stop:
			l.views.close()
			if !l.circuit.open.Load() {
				_ = l.reconcileOnce()
			}
			return
		case <-ticker.C:
			if l.circuit.open.Load() {
				continue
			}
			err := l.reconcileOnce()
			switch {
			case errors.Is(err, errStoreClosed):
				return
			case err != nil:
				l.circuit.failed(false, err)
			}
		}
	}
}

// reconcileOnce runs one reconcile, bounded by syncTimeout.
func (l *Limiter) reconcileOnce() error {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	return l.views.reconcile(ctx)
}
