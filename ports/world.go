package ports

import (
	"context"
	"github.com/configmat/configmat/core/domain"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// RateClass names the limit a request counts against.
type RateClass string

// Rate classes of the contract.
const (
	RateAnonymous RateClass = "anon"
	RateUser      RateClass = "user"
	RateAPIKey    RateClass = "api_key"
)

// RateDecision is a rate limiter's answer for one request.
type RateDecision struct {
	Limit     int64
	Remaining int64
	Reset     time.Time
	Allowed   bool
}

// RateLimiter counts requests. Keys are opaque identifiers (an IP address, a
// user ID, an API key ID), never raw credentials.
type RateLimiter interface {
	// Take counts one request of class for key and says whether it is allowed.
	// An error means the counter store failed; the caller decides whether to
	// fail open or closed.
	Take(ctx context.Context, class RateClass, key string) (RateDecision, error)
}

// ChangeFeed delivers the changes committed by every process sharing the
// store (PostgreSQL LISTEN/NOTIFY, or in process for the embedded store).
type ChangeFeed interface {
	// Listen calls onChange for every committed change and onState whenever
	// the feed goes live (true) or loses its connection (false); while it is
	// not live, changes may be missed and caches must be dropped and bypassed.
	// It blocks until ctx ends.
	Listen(ctx context.Context, onChange func(domain.Change), onState func(live bool)) error
}
