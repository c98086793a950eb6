// Package ratelimit implements ports.RateLimiter with fixed-window counters
// in the manner of github.com/ulule/limiter/v3, kept in process
// (NewMemoryStore) or in Redis (NewRedisStore) so that every server process
// shares the same counts.
//
// Rates are written as the contract says: "N/second", "N/minute", "N/hour"
// or "N/day" (see ParseRate). Anonymous requests count against one rate,
// user requests against another, and API-key requests against two at once,
// a sustained rate and a burst rate, both counted on every request.
//
// The caller's key is never a credential (a client IP or network, a user ID
// or an API key ID), yet counter keys in Redis never contain it: they are
// the rate class, a colon and the first 32 hex characters of the SHA-256 of
// the key, under the store prefix "configmat:ratelimit", so that reading
// Redis tells nobody which addresses or keys call. The in-process store
// (NewMemoryStore) names its counters by class and key as they are: it
// shares nothing outside the process, and counts a request's windows under
// one lock with one reading of the clock. In Redis a counter is an integer that
// expires with its window, the expiry set on its first increment: the
// layout of ulule/limiter's Redis store, so processes of either kind share
// one count. One Lua script (EVALSHA, or EVAL when Redis has forgotten it)
// counts all of a request's windows, so a request counted in Redis costs
// one round trip. The script's keys must live on one Redis server (not a
// Redis Cluster, whose slots would split a key's two windows).
//
// # Deciding in process, and its tolerance
//
// A Limiter built by NewWithFallback over the Redis store keeps the shared
// counts off the hot path: it decides authenticated requests (users and
// API keys) in process, by the count Redis answered last plus the requests
// it took since, and sends those requests to Redis in the background every
// sync interval (CircuitOptions.SyncInterval, DefaultSyncInterval: 100 ms),
// in one EVALSHA per 128 counters. A request is counted in Redis first, in
// one round trip, when its process knows no current window of one of its
// counters (its first request there, or the window has ended), when it
// probes an open circuit, or when the process already holds a counter's
// slack of requests that Redis has not confirmed. The slack of a counter
// is ⌊limit / SlackDivisor⌋ (1 %): 100 of 10000/hour, 1 of 100/minute,
// none below 100, so small limits are exact. Anonymous requests are always
// counted in Redis first: they fail closed, which needs Redis's answer.
//
// The tolerance that buys: per counter and window, P processes let through
// at most limit + P × slack requests (a process admits at most its slack
// before Redis tells it the limit is reached; from then on it refuses
// without asking). A process's requests reach
// Redis within one sync interval (or its Close), so X-RateLimit-Remaining
// may lag other processes' requests by that long. Requests a process took
// but had not sent when it was killed (at most one interval's) are never
// counted. Close sends them and makes every later request ask Redis.
//
// # When Redis fails
//
// When the counter store fails, authenticated traffic (users and API keys)
// fails open, so a Redis outage does not take the service down for known
// callers, and anonymous traffic fails closed with 503 SERVICE_UNAVAILABLE,
// because unlimited anonymous requests are what a rate limit exists to stop.
// A Limiter built by New leaves that decision to its caller (Take returns
// the error). One built by NewWithFallback, which serve uses over Redis,
// takes it itself behind a circuit: after a failure (of a request's call or
// of a background reconcile) no request waits on Redis for a back-off (one
// second), then one request probes it while the others keep the fallback;
// meanwhile authenticated requests are counted in process with the same
// rates and anonymous ones get the error, and nothing is reconciled. The
// circuit logs one line when it opens, one per interval (ten seconds) with
// the requests it counted in process and refused, and one when Redis
// answers again; never one per request. A request whose context ended (its
// client went away) is no failure of the store: it opens nothing and is
// not logged.
package ratelimit
