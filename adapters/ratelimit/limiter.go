package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// burstClass names the API keys' burst counters, kept apart from their
// sustained counters because the two windows have different lengths.
const burstClass = ports.RateAPIKey + "_burst"

// digestLength is how many hex characters of the key's SHA-256 name a counter.
const digestLength = 32

// Rates are the limits of each rate class; build each with ParseRate.
type Rates struct {
	// Anonymous limits unauthenticated requests, per client IP.
	Anonymous limiter.Rate
	// User limits requests made with a user token, per user.
	User limiter.Rate
	// APIKey is the sustained limit of requests made with an API key.
	APIKey limiter.Rate
	// APIKeyBurst is the short-window limit of the same requests; both
	// API-key limits apply to every API-key request.
	APIKeyBurst limiter.Rate
}

// Limiter is a ports.RateLimiter over a ulule/limiter counter store.
type Limiter struct {
	store limiter.Store
	// anonymous, user and apiKey are the counters of each class's requests,
	// listed once so that a Take allocates none.
	anonymous, user, apiKey []counter
	// fallback counts authenticated requests in process while circuit is
	// open; both are nil for a Limiter built by New.
	fallback limiter.Store
	circuit  *circuit
	// views decide authenticated requests in process between reconciles
	// with Redis; nil unless built by NewWithFallback over Redis. syncLoop
	// runs until stop is closed, then closes done.
	views      *views
	stop, done chan struct{}
	closeOnce  sync.Once
}

var _ ports.RateLimiter = (*Limiter)(nil)

// New returns a Limiter counting in store with the given rates. Every
// failure of store is an error of Take.
func New(store limiter.Store, r Rates) *Limiter {
	return withRates(&Limiter{store: store}, r)
}

// withRates sets l's counters by r and returns l.
func withRates(l *Limiter, r Rates) *Limiter {
	l.anonymous = []counter{{ports.RateAnonymous, r.Anonymous}}
	l.user = []counter{{ports.RateUser, r.User}}
	l.apiKey = []counter{{ports.RateAPIKey, r.APIKey}, {burstClass, r.APIKeyBurst}}
	return l
}

// NewWithFallback returns a Limiter counting in shared (Redis) that
// survives its failures: after one, no request waits on shared for a
// back-off, authenticated requests are counted in process with the same
// rates and anonymous ones get a KindUnavailable error, and the circuit logs
// one line when it opens, one per interval with its counts, and one when
// shared answers again (see CircuitOptions).
//
// Over the Redis store (NewRedisStore), unless o.SyncInterval is negative,
// it decides authenticated requests in process within the tolerance the
// package documents and sends them to Redis every o.SyncInterval in the
// background, until Close; anonymous requests are always counted in Redis
// first.
func NewWithFallback(shared limiter.Store, r Rates, o CircuitOptions) *Limiter {
	l := withRates(&Limiter{store: shared, fallback: NewMemoryStore(), circuit: newCircuit(o)}, r)
	if m, ok := shared.(multiCounter); ok && l.circuit.opts.SyncInterval > 0 {
		l.views = newViews(m)
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.syncLoop(l.circuit.opts.SyncInterval)
	}
	return l
}

// Close stops a Limiter's background reconciling after sending Redis the
// requests it decided in process since the last one. It is safe to call on
// any Limiter, more than once; after it, Take counts every request in Redis
// before deciding it.
func (l *Limiter) Close() error {
	if l.stop == nil {
		return nil
	}
	l.closeOnce.Do(func() { close(l.stop) })
	<-l.done
	return nil
}

// counter is one counter a request of a class counts on.
type counter struct {
	class ports.RateClass
	rate  limiter.Rate
}

// tally is what one counting call adds to one counter.
type tally struct {
	// key is the counter's key below the store prefix.
	key       string
	period    time.Duration
	increment int64
}

// counterState is a counter's count after a counting call and the time
// left in its window (zero or less: Redis knows no expiry).
type counterState struct {
	count int64
	ttl   time.Duration
}

// multiCounter is a store that adds to several counters in one step, and
// returns their states in tallies's order; the Redis store does it in one
// round trip.
type multiCounter interface {
	countAll(ctx context.Context, tallies []tally) ([]counterState, error)
}

// countersOf lists the counters of class: an API-key request counts on its
// sustained and its burst counter.
func (l *Limiter) countersOf(class ports.RateClass) ([]counter, error) {
	switch class {
	case ports.RateAnonymous:
		return l.anonymous, nil
	case ports.RateUser:
		return l.user, nil
	case ports.RateAPIKey:
		return l.apiKey, nil
	}
	return nil, domain.Errorf(domain.KindInternal, "unknown rate class %q", class)
}

// Take counts one request of class for key and says whether it is allowed.
// An API-key request counts against both API-key rates and is allowed only
// if both allow it; the decision then reports the limit that binds: the one
// that is reached, else the one with fewer requests remaining. Reset is the
// first whole second at which that window has certainly ended.
//
// A failing counter store gives a KindUnavailable error (with a fallback:
// only for anonymous requests), an unknown class a KindInternal error. A
// request whose context ended gives a KindUnavailable error whose cause is
// the context's error; it is no failure of the store.
func (l *Limiter) Take(ctx context.Context, class ports.RateClass, key string) (ports.RateDecision, error) {
	counters, err := l.countersOf(class)
	if err != nil {
		return ports.RateDecision{}, err
	}
	if l.circuit == nil {
		return l.count(ctx, l.store, counters, key)
	}
	useStore, probe := l.circuit.admit()
	if useStore {
		var d ports.RateDecision
		if l.views != nil && class != ports.RateAnonymous {
			d, err = l.views.take(ctx, counters, key, probe)
			if err != nil {
				err = unavailable(err)
			}
		} else {
			d, err = l.count(ctx, l.store, counters, key)
		}
		switch {
		case err == nil:
			l.circuit.succeeded(probe)
			return d, nil
		case ctx.Err() != nil:
			l.circuit.released(probe)
			return ports.RateDecision{}, ended(ctx.Err())
		}
		l.circuit.failed(probe, err)
	}
	if class == ports.RateAnonymous {
		l.circuit.refusedAnonymous()
		return ports.RateDecision{}, unavailable(l.circuit.lastCause())
	}
	d, err := l.count(ctx, l.fallback, counters, key)
	l.circuit.countedInProcess()
	return d, err
}

// count takes one request of key on each counter in store and combines the
// decisions: in process (NewMemoryStore) under one lock and one reading of
// the clock; in one step when store is a multiCounter (Redis: one round
// trip for both API-key windows); else counter by counter.
//
// Only a store outside the process names counters by the key's digest. The
// key is never a credential (a client IP or network, a user ID, an API key
// ID), but a counter name in Redis would tell whoever reads Redis which
// addresses and which keys call, and when. In process the counter sits in
// the same memory as the request that carries the key, so a digest hides
// nothing there and would cost a SHA-256 per request.
func (l *Limiter) count(ctx context.Context, store limiter.Store, counters []counter, key string) (ports.RateDecision, error) {
	if m, ok := store.(*memoryStore); ok {
		return m.take(time.Now(), counters, key), nil
	}
	digest := keyDigest(key)
	if m, ok := store.(multiCounter); ok {
		tallies := make([]tally, len(counters))
		for i, c := range counters {
			tallies[i] = tally{key: counterKey(c.class, digest), period: c.rate.Period, increment: 1}
		}
		states, err := m.countAll(ctx, tallies)
		if err != nil {
			return ports.RateDecision{}, unavailable(err)
		}
		now := time.Now()
		var d ports.RateDecision
		for i, c := range counters {
			lc := common.GetContextFromState(now, c.rate, windowEnd(now, c.rate, states[i].ttl), states[i].count)
			if i == 0 {
				d = decisionOf(lc)
			} else {
				d = mostRestrictive(d, decisionOf(lc))
			}
		}
		return d, nil
	}
	var d ports.RateDecision
	for i, c := range counters {
		lc, err := store.Get(ctx, counterKey(c.class, digest), c.rate)
		if err != nil {
			return ports.RateDecision{}, unavailable(err)
		}
		if i == 0 {
			d = decisionOf(lc)
		} else {
			d = mostRestrictive(d, decisionOf(lc))
		}
	}
	return d, nil
}

// decisionOf is the decision one counter's state gives.
func decisionOf(lc limiter.Context) ports.RateDecision {
	return ports.RateDecision{
		Limit:     lc.Limit,
		Remaining: lc.Remaining,
		Reset:     time.Unix(lc.Reset+1, 0),
		Allowed:   !lc.Reached,
	}
}

// mostRestrictive combines two decisions on one request: allowed only if
// both allow, reporting the binding limit. Between two equally binding
// limits it reports the later reset, when the request is certain to pass.
func mostRestrictive(a, b ports.RateDecision) ports.RateDecision {
	pick := a
	switch {
	case a.Allowed != b.Allowed:
		if !b.Allowed {
			pick = b
		}
	case b.Remaining < a.Remaining:
		pick = b
	case b.Remaining == a.Remaining && b.Reset.After(a.Reset):
		pick = b
	}
	pick.Allowed = a.Allowed && b.Allowed
	return pick
}

// keyDigest names a caller's counter without revealing the caller's key.
func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:digestLength]
}

// counterKey is the store key of a counter, below the store's prefix.
func counterKey(class ports.RateClass, digest string) string {
	return string(class) + ":" + digest
}
