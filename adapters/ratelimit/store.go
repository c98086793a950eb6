package ratelimit

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/core/domain"
)

// KeyPrefix is prepended to every counter key in the store.
const KeyPrefix = "configmat:ratelimit"

// NewMemoryStore returns an in-process counter store: fixed windows in
// sharded maps, their ends as ulule/limiter's memory store sets them, ended
// windows dropped every 30 seconds. Counts are not shared with other
// processes; use it when no Redis is configured.
func NewMemoryStore() limiter.Store {
	return newMemoryStore(time.Now())
}

// NewRedisStore returns a counter store in Redis, shared by every process
// using the same Redis: a Limiter over it counts all of a request's windows
// in one round trip (one EVALSHA). It loads its Lua scripts at once, so an
// unreachable Redis is a KindUnavailable error here rather than at the first
// request; a Redis that forgot them (restarted, SCRIPT FLUSH) gets them again
// by EVAL.
func NewRedisStore(client *redis.Client) (limiter.Store, error) {
	if client == nil {
		return nil, domain.Errorf(domain.KindInternal, "the rate limit store needs a Redis client")
	}
	for _, script := range []*redis.Script{counting, peeking} {
		if err := script.Load(context.Background(), client).Err(); err != nil {
			return nil, unavailable(err)
		}
	}
	return &redisStore{client: client}, nil
}

// unavailable reports a failure of the counter store.
func unavailable(cause error) error {
	return &domain.Error{
		Kind:    domain.KindUnavailable,
		Message: "the rate limit store is unavailable",
		Cause:   cause,
	}
}

// ended reports a request that ended (its client went away, or its deadline
// passed) before its count was taken: no failure of the store.
func ended(cause error) error {
	return &domain.Error{
		Kind:    domain.KindUnavailable,
		Message: "the request ended before its rate limit was counted",
		Cause:   cause,
	}
}
