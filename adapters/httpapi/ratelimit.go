package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// rateLimiter applies a ports.RateLimiter to requests; a nil limiter allows
// everything and sets no headers.
type rateLimiter struct {
	limiter ports.RateLimiter
	now     func() time.Time
	// ipv6Prefix is the length of the IPv6 networks anonymous clients count
	// per (see anonymousKey).
	ipv6Prefix int
}

// rateSubject is what one request counts against: a class and an opaque key
// (client IP, user ID or API key ID, never a credential).
type rateSubject struct {
	class ports.RateClass
	key   string
}

// subjectOf returns the rate subject of a request made by actor (the zero
// actor when authentication failed or was not attempted) from clientIP,
// which anonymous requests count under as anonymousKey groups it.
func (l rateLimiter) subjectOf(actor domain.Actor, clientIP string) rateSubject {
	switch {
	case actor.APIKeyID != "":
		return rateSubject{ports.RateAPIKey, string(actor.APIKeyID)}
	case actor.UserID != "":
		return rateSubject{ports.RateUser, string(actor.UserID)}
	}
	return rateSubject{ports.RateAnonymous, anonymousKey(clientIP, l.ipv6Prefix)}
}

// take counts the request and sets the X-RateLimit-* headers. It returns a
// RATE_LIMITED error (after setting Retry-After) when over the limit. When
// the counter store fails, authenticated traffic passes and anonymous
// traffic is refused with SERVICE_UNAVAILABLE; the limiter reports the
// store's state in the log (one line per interval, not one per request), so
// each request only logs at debug level. A request whose context ended is
// no store failure: its error is returned as it is.
func (l rateLimiter) take(ctx context.Context, w http.ResponseWriter, subject rateSubject) error {
	if l.limiter == nil {
		return nil
	}
	d, err := l.limiter.Take(ctx, subject.class, subject.key)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		log := LoggerFromContext(ctx).WithError(err).WithField("rate_class", string(subject.class))
		if subject.class != ports.RateAnonymous {
			log.Debug("rate limiter unavailable; letting the authenticated request through")
			return nil
		}
		log.Debug("rate limiter unavailable; refusing the anonymous request")
		return domain.Errorf(domain.KindUnavailable, "The service is temporarily unavailable; retry later.")
	}
	h := w.Header()
	var values *[3]string
	if st, ok := lookupState(ctx); ok {
		values = &st.rateValues
	} else {
		values = new([3]string)
	}
	setRateHeaders(h, values, d.Limit, max(d.Remaining, 0), d.Reset.Unix())
	if d.Allowed {
		return nil
	}
	retry := retryAfterSeconds(d.Reset.Sub(l.now()))
	h.Set("Retry-After", strconv.FormatInt(retry, 10))
	return domain.Errorf(kindRateLimited, "Too many requests; retry in %d seconds.", retry).WithDetail("retry_after", retry)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one.
func retryAfterSeconds(wait time.Duration) int64 {
	s := int64((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}

// setRateHeaders sets X-RateLimit-Limit, -Remaining and -Reset in one
// allocation: the three numbers are formatted into one string, and the
// header values are slices of values (each full, so that an Add copies
// instead of overwriting its neighbour).
func setRateHeaders(h http.Header, values *[3]string, limit, remaining, reset int64) {
	var buf [64]byte
	b := strconv.AppendInt(buf[:0], limit, 10)
	n1 := len(b)
	b = strconv.AppendInt(b, remaining, 10)
	n2 := len(b)
	b = strconv.AppendInt(b, reset, 10)
	text := string(b)
	*values = [3]string{text[:n1], text[n1:n2], text[n2:]}
	h[headerRateLimit] = values[0:1:1]
	h[headerRateRemaining] = values[1:2:2]
	h[headerRateReset] = values[2:3:3]
}
