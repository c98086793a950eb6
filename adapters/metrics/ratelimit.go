package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/configmat/configmat/ports"
)

// denialCounters are the resolved children of the denial counter, one per
// rate class.
type denialCounters struct {
	anonymous, user, apiKey prometheus.Counter
}

// Class labels of the denial counter.
const (
	classAnonymous = "anonymous"
	classUser      = "user"
	classAPIKey    = "api_key"
)

func newDenialCounters(v *prometheus.CounterVec) denialCounters {
	return denialCounters{
		anonymous: v.WithLabelValues(classAnonymous),
		user:      v.WithLabelValues(classUser),
		apiKey:    v.WithLabelValues(classAPIKey),
	}
}

// of returns the counter of class.
func (d denialCounters) of(class ports.RateClass) prometheus.Counter {
	switch class {
	case ports.RateUser:
		return d.user
	case ports.RateAPIKey:
		return d.apiKey
	}
	return d.anonymous
}

// CountDenials returns limiter with every request it refuses counted in
// configmat_rate_limit_denials_total by class; a nil limiter (no rate
// limiting) stays nil. Errors of the counter store are no denials.
func (m *Metrics) CountDenials(limiter ports.RateLimiter) ports.RateLimiter {
	if limiter == nil {
		return nil
	}
	return &denialCounter{inner: limiter, counters: m.denials}
}

// denialCounter is the decorator CountDenials returns.
type denialCounter struct {
	inner    ports.RateLimiter
	counters denialCounters
}

// Take asks the inner limiter and counts a refusal.
func (d *denialCounter) Take(ctx context.Context, class ports.RateClass, key string) (ports.RateDecision, error) {
	dec, err := d.inner.Take(ctx, class, key)
	if err == nil && !dec.Allowed {
		d.counters.of(class).Inc()
	}
	return dec, err
}
