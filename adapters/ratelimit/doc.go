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
// When the counter store fails, authenticated traffic (users and API keys)
// fails open, so a Redis outage does not take the service down for known
// callers, and anonymous traffic fails closed with 503 SERVICE_UNAVAILABLE,
// because unlimited anonymous requests are what a rate limit exists to stop.
// A Limiter built by New leaves that decision to its caller (Take returns
// the error). One built by NewWithFallback, which serve uses over Redis,
// takes it itself behind a circuit: after a failure no request waits on
// Redis for a back-off (one second), then one request probes it while the
// others keep the fallback; meanwhile authenticated requests are counted in
// process with the same rates and anonymous ones get the error. The circuit
// logs one line when it opens, one per interval (ten seconds) with the
// requests it counted in process and refused, and one when Redis answers
// again; never one per request. A request whose context ended (its client
// went away) is no failure of the store: it opens nothing and is not logged.
package ratelimit
