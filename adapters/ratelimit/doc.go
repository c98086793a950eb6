// Package ratelimit implements ports.RateLimiter with fixed-window counters
// from github.com/ulule/limiter/v3, kept in process (NewMemoryStore) or in
// Redis (NewRedisStore) so that every server process shares the same counts.
//
// Rates are written as the contract says: "N/second", "N/minute", "N/hour"
// or "N/day" (see ParseRate). Anonymous requests count against one rate,
// user requests against another, and API-key requests against two at once,
// a sustained rate and a burst rate, both counted on every request.
//
// Counter keys never contain the caller's key: they are the rate class, a
// colon and the first 32 hex characters of the SHA-256 of the key, under the
// store prefix "configmat:ratelimit".
//
// When Take returns an error the counter store has failed. The decision of
// what to do then belongs to the HTTP layer and is this: authenticated
// traffic (users and API keys) fails open, so a Redis outage does not take
// the service down for known callers, and the failure is logged; anonymous
// traffic fails closed with 503 SERVICE_UNAVAILABLE, because unlimited
// anonymous requests are what a rate limit exists to stop.
package ratelimit
