package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ulule/limiter/v3"

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
	rates Rates
	// fallback counts authenticated requests in process while circuit is
	// open; both are nil for a Limiter built by New.
	fallback limiter.Store
	circuit  *circuit
}

var _ ports.RateLimiter = (*Limiter)(nil)

// New returns a Limiter counting in store with the given rates. Every
// failure of store is an error of Take.
func New(store limiter.Store, r Rates) *Limiter {
	return &Limiter{store: store, rates: r}
}

// NewWithFallback returns a Limiter counting in shared (Redis) that
// survives its failures: after one, no request waits on shared for a
// back-off, authenticated requests are counted in process with the same
// rates and anonymous ones get a KindUnavailable error, and the circuit logs
// one line when it opens, one per interval with its counts, and one when
// shared answers again (see CircuitOptions).
func NewWithFallback(shared limiter.Store, r Rates, o CircuitOptions) *Limiter {
	return &Limiter{store: shared, rates: r, fallback: NewMemoryStore(), circuit: newCircuit(o)}
}

// counter is one counter a request of a class counts on.
type counter struct {
	class ports.RateClass
	rate  limiter.Rate
}

// multiCounter is a store that counts one request on several counters of
// a caller in one step; the Redis store does it in one round trip. It
// returns the counters' states in counters's order.
type multiCounter interface {
	countAll(ctx context.Context, counters []counter, digest string) ([]limiter.Context, error)
}

// countersOf lists the counters of class: an API-key request counts on its
// sustained and its burst counter.
func (l *Limiter) countersOf(class ports.RateClass) ([]counter, error) {
	switch class {
	case ports.RateAnonymous:
		return []counter{{class, l.rates.Anonymous}}, nil
	case ports.RateUser:
		return []counter{{class, l.rates.User}}, nil
	case ports.RateAPIKey:
		return []counter{{class, l.rates.APIKey}, {burstClass, l.rates.APIKeyBurst}}, nil
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
	digest := keyDigest(key)
	if l.circuit == nil {
		return l.count(ctx, l.store, counters, digest)
	}
	useStore, probe := l.circuit.admit()
	if useStore {
		d, err := l.count(ctx, l.store, counters, digest)
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
	d, err := l.count(ctx, l.fallback, counters, digest)
	l.circuit.countedInProcess()
	return d, err
}

// count takes one request on each counter in store and combines the
// decisions: in one step when store is a multiCounter (Redis: one round
// trip for both API-key windows), else counter by counter, which in process
// costs no wait.
func (l *Limiter) count(ctx context.Context, store limiter.Store, counters []counter, digest string) (ports.RateDecision, error) {
	if m, ok := store.(multiCounter); ok {
		states, err := m.countAll(ctx, counters, digest)
		if err != nil {
			return ports.RateDecision{}, unavailable(err)
		}
		d := decisionOf(states[0])
		for _, s := range states[1:] {
			d = mostRestrictive(d, decisionOf(s))
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
