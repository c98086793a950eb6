package ratelimit

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"

	"github.com/configmat/configmat/ports"
)

const (
	// memoryShards is how many independently locked maps the in-process
	// store spreads its counters over, so that requests of different
	// callers rarely wait on one another.
	memoryShards = 32
	// memorySweepInterval is how often the in-process store drops the
	// counters whose windows have ended; ulule's memory store's default.
	memorySweepInterval = limiter.DefaultCleanUpInterval
)

// counterName names a counter of the in-process store: a rate class and the
// caller's key as the HTTP adapter gives it (a client IP or network, a user
// ID or an API key ID; never a credential).
type counterName struct {
	class ports.RateClass
	key   string
}

// window is one counter's fixed window: count requests taken since it began,
// ending at end.
type window struct {
	count int64
	end   time.Time
}

// memoryShard is one locked part of the in-process store, padded so that
// two shards' locks do not share a cache line.
type memoryShard struct {
	mu sync.Mutex
	m  map[counterName]*window
	_  [48]byte
}

// memoryStore counts fixed windows in process, as ulule/limiter's memory
// store does: a counter's window begins at the first request after the
// previous one ended and lasts one period; a window has ended once the
// clock is past its end. Counters whose windows have ended are dropped
// every memorySweepInterval, in a goroutine started by the first request
// after the interval, so memory holds only the callers of the last
// windows and no goroutine outlives its work.
//
// A Limiter counts in it without the key digest it uses for the other
// stores (see Limiter.count). It is a limiter.Store too, whose key
// "class:key" names the counter of that class and key.
type memoryStore struct {
	seed   maphash.Seed
	shards [memoryShards]memoryShard
	// sweepAt is when, in Unix nanoseconds, the next sweep is due.
	sweepAt atomic.Int64
}

var _ limiter.Store = (*memoryStore)(nil)

func newMemoryStore(now time.Time) *memoryStore {
	s := &memoryStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[counterName]*window{}
	}
	s.sweepAt.Store(now.Add(memorySweepInterval).UnixNano())
	return s
}

// shardOf is the shard that holds the counters of key, of every class: a
// request's counters are all counted under one lock.
func (s *memoryStore) shardOf(key string) *memoryShard {
	return &s.shards[maphash.String(s.seed, key)%memoryShards]
}

// add adds n requests at now to counter name of rate in shard sh, whose
// lock the caller holds, and returns the window's count and end.
func (sh *memoryShard) add(now time.Time, name counterName, rate limiter.Rate, n int64) (int64, time.Time) {
	w := sh.m[name]
	switch {
	case w == nil:
		w = &window{count: n, end: now.Add(rate.Period)}
		sh.m[name] = w
	case now.After(w.end):
		w.count, w.end = n, now.Add(rate.Period)
	default:
		w.count += n
	}
	return w.count, w.end
}

// take counts one request at now on each of counters for key and decides
// it as Limiter.Take documents.
func (s *memoryStore) take(now time.Time, counters []counter, key string) ports.RateDecision {
	s.maybeSweep(now)
	var d ports.RateDecision
	sh := s.shardOf(key)
	sh.mu.Lock()
	for i, c := range counters {
		count, end := sh.add(now, counterName{c.class, key}, c.rate, 1)
		one := decisionOf(common.GetContextFromState(now, c.rate, end, count))
		if i == 0 {
			d = one
		} else {
			d = mostRestrictive(d, one)
		}
	}
	sh.mu.Unlock()
	return d
}

// increment adds n requests at now to the counter store key names.
func (s *memoryStore) increment(now time.Time, key string, n int64, rate limiter.Rate) limiter.Context {
	s.maybeSweep(now)
	name := nameOf(key)
	sh := s.shardOf(name.key)
	sh.mu.Lock()
	count, end := sh.add(now, name, rate, n)
	sh.mu.Unlock()
	return common.GetContextFromState(now, rate, end, count)
}

// peek is the state at now of the counter store key names, unchanged.
func (s *memoryStore) peek(now time.Time, key string, rate limiter.Rate) limiter.Context {
	name := nameOf(key)
	sh := s.shardOf(name.key)
	sh.mu.Lock()
	w := sh.m[name]
	count, end := int64(0), now.Add(rate.Period)
	if w != nil && !now.After(w.end) {
		count, end = w.count, w.end
	}
	sh.mu.Unlock()
	return common.GetContextFromState(now, rate, end, count)
}

// maybeSweep starts a sweep when one is due at now; of concurrent callers
// only one starts it.
func (s *memoryStore) maybeSweep(now time.Time) {
	due := s.sweepAt.Load()
	if now.UnixNano() < due {
		return
	}
	if s.sweepAt.CompareAndSwap(due, now.Add(memorySweepInterval).UnixNano()) {
		go s.sweep(now)
	}
}

// sweep drops every counter whose window has ended at now, one shard at a
// time.
func (s *memoryStore) sweep(now time.Time) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for name, w := range sh.m {
			if now.After(w.end) {
				delete(sh.m, name)
			}
		}
		sh.mu.Unlock()
	}
}

// size is how many counters the store holds.
func (s *memoryStore) size() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// nameOf is the counter a limiter.Store key "class:key" names; a key
// without a colon names a counter of no class.
func nameOf(key string) counterName {
	class, rest, ok := strings.Cut(key, ":")
	if !ok {
		return counterName{key: key}
	}
	return counterName{ports.RateClass(class), rest}
}

// Get adds one request to the counter key names and returns its state.
func (s *memoryStore) Get(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.increment(time.Now(), key, 1, rate), nil
}

// Increment adds count requests to the counter key names and returns its
// state.
func (s *memoryStore) Increment(_ context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	return s.increment(time.Now(), key, count, rate), nil
}

// Peek returns the state of the counter key names without changing it.
func (s *memoryStore) Peek(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.peek(time.Now(), key, rate), nil
}

// Reset forgets the counter key names and returns the state of a new one.
func (s *memoryStore) Reset(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := time.Now()
	name := nameOf(key)
	sh := s.shardOf(name.key)
	sh.mu.Lock()
	delete(sh.m, name)
	sh.mu.Unlock()
	return common.GetContextFromState(now, rate, now.Add(rate.Period), 0), nil
}
