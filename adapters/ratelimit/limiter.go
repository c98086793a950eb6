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
}

var _ ports.RateLimiter = (*Limiter)(nil)

// New returns a Limiter counting in store with the given rates.
func New(store limiter.Store, r Rates) *Limiter {
	return &Limiter{store: store, rates: r}
}

// Take counts one request of class for key and says whether it is allowed.
// An API-key request counts against both API-key rates and is allowed only
// if both allow it; the decision then reports the limit that binds: the one
// that is reached, else the one with fewer requests remaining. Reset is the
// first whole second at which that window has certainly ended.
//
// A failing counter store gives a KindUnavailable error, an unknown class a
// KindInternal error.
func (l *Limiter) Take(ctx context.Context, class ports.RateClass, key string) (ports.RateDecision, error) {
	digest := keyDigest(key)
	switch class {
	case ports.RateAnonymous:
		return l.take(ctx, class, digest, l.rates.Anonymous)
	case ports.RateUser:
		return l.take(ctx, class, digest, l.rates.User)
	case ports.RateAPIKey:
		// Both counters at once: with Redis that is one round trip of
		// latency instead of two.
		type result struct {
			d   ports.RateDecision
			err error
		}
		burstDone := make(chan result, 1)
		go func() {
			d, err := l.take(ctx, burstClass, digest, l.rates.APIKeyBurst)
			burstDone <- result{d, err}
		}()
		sustained, err := l.take(ctx, class, digest, l.rates.APIKey)
		burst := <-burstDone
		if err != nil {
			return ports.RateDecision{}, err
		}
		if burst.err != nil {
			return ports.RateDecision{}, burst.err
		}
		return mostRestrictive(sustained, burst.d), nil
	default:
		return ports.RateDecision{}, domain.Errorf(domain.KindInternal, "unknown rate class %q", class)
	}
}

// take counts one request on the counter of class and digest.
func (l *Limiter) take(ctx context.Context, class ports.RateClass, digest string, rate limiter.Rate) (ports.RateDecision, error) {
	c, err := l.store.Get(ctx, counterKey(class, digest), rate)
	if err != nil {
		return ports.RateDecision{}, unavailable(err)
	}
	return ports.RateDecision{
		Limit:     c.Limit,
		Remaining: c.Remaining,
		Reset:     time.Unix(c.Reset+1, 0),
		Allowed:   !c.Reached,
	}, nil
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
