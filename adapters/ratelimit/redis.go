package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"
)

// countScript counts one request (or ARGV's increment) on every counter of
// KEYS in one call, so a request costs one round trip however many windows
// it counts on. For counter i, ARGV[2i-1] is the increment and ARGV[2i] the
// window in milliseconds; the answer lists each counter's count and the
// milliseconds left in its window, in KEYS's order.
//
// A counter is an integer that expires with its window, set on the first
// increment: the layout of ulule/limiter's Redis store, so processes of
// either kind share one count. A counter found without an expiry (which no
// script makes, but a hand-made key would be) gets one, so it cannot deny
// forever.
const countScript = `
local out = {}
for i, key in ipairs(KEYS) do
	local increment = tonumber(ARGV[2 * i - 1])
	local window = tonumber(ARGV[2 * i])
	local count = redis.call("INCRBY", key, increment)
	local ttl = window
	if count == increment then
		redis.call("PEXPIRE", key, window)
	else
		ttl = redis.call("PTTL", key)
		if ttl < 0 then
			redis.call("PEXPIRE", key, window)
			ttl = window
		end
	end
	out[2 * i - 1] = count
	out[2 * i] = ttl
end
return out
`

// peekScript reads a counter and the milliseconds left in its window
// without counting: {0, 0} when it does not exist.
const peekScript = `
local count = redis.call("GET", KEYS[1])
if count == false then
	return {0, 0}
end
return {tonumber(count), redis.call("PTTL", KEYS[1])}
`

var (
	counting = redis.NewScript(countScript)
	peeking  = redis.NewScript(peekScript)
)

// redisStore keeps the counters in Redis, one integer per counter that
// expires with its window. It is a limiter.Store, and a multiCounter that
// counts all of a request's windows in one EVALSHA.
type redisStore struct {
	client *redis.Client
}

var (
	_ limiter.Store = (*redisStore)(nil)
	_ multiCounter  = (*redisStore)(nil)
)

// countAll adds each tally's increment to its counter in one round trip and
// returns the counters' states in tallies's order.
func (s *redisStore) countAll(ctx context.Context, tallies []tally) ([]counterState, error) {
	keys := make([]string, len(tallies))
	args := make([]any, 0, 2*len(tallies))
	for i, t := range tallies {
		keys[i] = storeKey(t.key)
		args = append(args, t.increment, t.period.Milliseconds())
	}
	reply, err := counting.Run(ctx, s.client, keys, args...).Int64Slice()
	if errors.Is(err, redis.ErrClosed) {
		return nil, errStoreClosed
	}
	if err != nil {
		return nil, err
	}
	if len(reply) != 2*len(tallies) {
		return nil, fmt.Errorf("the counting script answered %d numbers for %d counters", len(reply), len(tallies))
	}
	out := make([]counterState, len(tallies))
	for i := range out {
		out[i] = counterState{count: reply[2*i], ttl: time.Duration(reply[2*i+1]) * time.Millisecond}
	}
	return out, nil
}

// Get counts one request on the counter key.
func (s *redisStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.Increment(ctx, key, 1, rate)
}

// Increment counts count requests on the counter key.
func (s *redisStore) Increment(ctx context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	reply, err := counting.Run(ctx, s.client, []string{storeKey(key)}, count, rate.Period.Milliseconds()).Int64Slice()
	if err != nil {
		return limiter.Context{}, err
	}
	return pairContext(reply, rate)
}

// Peek reads the counter key without counting.
func (s *redisStore) Peek(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	reply, err := peeking.Run(ctx, s.client, []string{storeKey(key)}).Int64Slice()
	if err != nil {
		return limiter.Context{}, err
	}
	return pairContext(reply, rate)
}

// Reset deletes the counter key.
func (s *redisStore) Reset(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	if err := s.client.Del(ctx, storeKey(key)).Err(); err != nil {
		return limiter.Context{}, err
	}
	return contextOf(time.Now(), rate, 0, 0), nil
}

// pairContext reads one counter's {count, ttl} answer.
func pairContext(reply []int64, rate limiter.Rate) (limiter.Context, error) {
	if len(reply) != 2 {
		return limiter.Context{}, errors.New("the rate limit script answered no {count, ttl} pair")
	}
	return contextOf(time.Now(), rate, reply[0], reply[1]), nil
}

// contextOf is a counter's state as ulule/limiter's Redis store reports it:
// the window ends ttl milliseconds after now, or a whole period after now
// when Redis knows no expiry.
func contextOf(now time.Time, rate limiter.Rate, count, ttl int64) limiter.Context {
	return common.GetContextFromState(now, rate, windowEnd(now, rate, time.Duration(ttl)*time.Millisecond), count)
}

// windowEnd is when a counter's window ends, ttl after now, or a whole
// period after now when Redis knows no expiry.
func windowEnd(now time.Time, rate limiter.Rate, ttl time.Duration) time.Time {
	if ttl > 0 {
		return now.Add(ttl)
	}
	return now.Add(rate.Period)
}

// storeKey is the Redis key of a counter key.
func storeKey(key string) string {
	return KeyPrefix + ":" + key
}
