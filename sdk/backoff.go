package sdk

import (
	"context"
	"math/rand/v2"
	"time"
)

// Default reconnection backoff: the n-th consecutive failure waits a random
// time in [0, min(DefaultBackoffMax, DefaultBackoffBase*2^n)] (full jitter),
// so that clients cut off together by a restart come back spread out.
const (
	DefaultBackoffBase = 2 * time.Second
	DefaultBackoffMax  = 30 * time.Second
)

// backoff is exponential backoff with full jitter.
type backoff struct {
	base, max time.Duration
	attempt   int
	// rand returns a random int64 in [0, n); math/rand/v2 unless a test sets it.
	rand func(n int64) int64
}

// next returns the delay before the next try and counts a failure.
func (b *backoff) next() time.Duration {
	ceiling := b.max
	if b.attempt < 62 {
		if d := b.base << b.attempt; d > 0 && d < b.max && d>>b.attempt == b.base {
			ceiling = d
		}
	}
	b.attempt++
	random := b.rand
	if random == nil {
		random = rand.Int64N // #nosec G404 -- jitter of a retry delay, no secret
	}
	return time.Duration(random(int64(ceiling) + 1))
}

// reset starts over after a connection that worked.
func (b *backoff) reset() { b.attempt = 0 }

// sleep waits d or until ctx ends, and returns ctx.Err() in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
