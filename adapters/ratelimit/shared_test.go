package ratelimit

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/configmat/configmat/ports"
)

// sharedLimiter returns a Limiter as serve builds it over the test Redis,
// with its own client whose commands log records, reconciling every
// interval; it is closed when the test ends.
func sharedLimiter(t *testing.T, opts *redis.Options, rates Rates, interval time.Duration) (*Limiter, *commandLog) {
	t.Helper()
	client := newClient(t, opts)
	log := &commandLog{}
	client.AddHook(log)
	store, err := NewRedisStore(client)
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	log.take() // the scripts' loading and the connection's set-up
	logger, _ := logtest.NewNullLogger()
	l := NewWithFallback(store, rates, CircuitOptions{Logger: logger, SyncInterval: interval})
	t.Cleanup(func() { _ = l.Close() })
	return l, log
}

// counted reads a counter's count in Redis (0 when it does not exist).
func counted(t *testing.T, c *redis.Client, class ports.RateClass, key string) int64 {
	t.Helper()
	n, err := c.Get(context.Background(), storeKey(counterKey(class, keyDigest(key)))).Int64()
	if err != nil && err != redis.Nil {
		t.Fatalf("read counter %s: %v", class, err)
	}
	return n
}

func evalshas(n int) []string { return slices.Repeat([]string{"evalsha"}, n) }

// TestSharedDecidesInProcessBetweenReconciles: once a counter's window is
// known, requests within its slack cost no round trip; a reconcile sends
// them all in one EVALSHA.
func TestSharedDecidesInProcessBetweenReconciles(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	sustained, burst := mustRate(t, "100000/hour"), mustRate(t, "10000/minute")
	l, log := sharedLimiter(t, opts, Rates{APIKey: sustained, APIKeyBurst: burst}, time.Hour)
	key := uniqueKey(t, client)

	first := takeN(t, l, ports.RateAPIKey, key, 1)[0]
	if got := log.take(); !slices.Equal(got, evalshas(1)) {
		t.Fatalf("first request sent %q, want one EVALSHA", got)
	}
	if first.Limit != 10000 || first.Remaining != 9999 {
		t.Fatalf("first decision %+v, want the burst limit 10000 with 9999 remaining", first)
	}
	decisions := takeN(t, l, ports.RateAPIKey, key, 50)
	if got := log.take(); len(got) != 0 {
		t.Fatalf("50 requests within the slack sent %q, want nothing", got)
	}
	for i, d := range decisions {
		if want := int64(9998 - i); !d.Allowed || d.Limit != 10000 || d.Remaining != want || !d.Reset.Equal(first.Reset) {
			t.Fatalf("request %d decided in process = %+v, want allowed, 10000, remaining %d, reset %s", i+2, d, want, first.Reset)
		}
	}
	if n := counted(t, client, ports.RateAPIKey, key); n != 1 {
		t.Fatalf("Redis counted %d before the reconcile, want 1", n)
	}
	if err := l.reconcileOnce(); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if got := log.take(); !slices.Equal(got, evalshas(1)) {
		t.Errorf("the reconcile sent %q, want one EVALSHA", got)
	}
	for _, class := range []ports.RateClass{ports.RateAPIKey, burstClass} {
		if n := counted(t, client, class, key); n != 51 {
			t.Errorf("Redis counted %d on %s after the reconcile, want 51", n, class)
		}
	}
}

// TestSharedReconcilesInTheBackground: without any further request, the
// requests decided in process reach Redis.
func TestSharedReconcilesInTheBackground(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	l, _ := sharedLimiter(t, opts, Rates{User: mustRate(t, "100000/hour")}, 10*time.Millisecond)
	key := uniqueKey(t, client)
	takeN(t, l, ports.RateUser, key, 30)
	if !waitUntil(func() bool { return counted(t, client, ports.RateUser, key) == 30 }) {
		t.Fatalf("Redis counted %d of 30 requests, want all of them after the reconciles", counted(t, client, ports.RateUser, key))
	}
}

// TestSharedSlackBoundsTheUnconfirmed: a process asks Redis as soon as
// its unconfirmed requests on a counter reach the slack (limit / 100), and
// limits below 100 have none: every request asks Redis.
func TestSharedSlackBoundsTheUnconfirmed(t *testing.T) {
	opts := redisOptions(t)
	tests := []struct {
		name  string
		rates Rates
		class ports.RateClass
		// want is the commands of 10 requests after the first.
		want []string
	}{
		// Requests 2-4 in process, 5 asks, 6-8 in process, 9 asks, 10-11 in process.
		{"slack 3", Rates{User: mustRate(t, "300/hour")}, ports.RateUser, evalshas(2)},
		{"no slack below 100", Rates{User: mustRate(t, "99/hour")}, ports.RateUser, evalshas(10)},
		// Slack 1: every other request asks.
		{"the burst's slack binds", Rates{APIKey: mustRate(t, "100000/hour"), APIKeyBurst: mustRate(t, "100/minute")}, ports.RateAPIKey, evalshas(5)},
		{"anonymous always asks", Rates{Anonymous: mustRate(t, "100000/hour")}, ports.RateAnonymous, evalshas(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, log := sharedLimiter(t, opts, tt.rates, time.Hour)
			key := uniqueKey(t, newClient(t, opts))
			takeN(t, l, tt.class, key, 1)
			log.take()
			takeN(t, l, tt.class, key, 10)
			if got := log.take(); !slices.Equal(got, tt.want) {
				t.Errorf("10 requests sent %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSharedOvershootIsTheSlack: the worst case. Process A knows an old
// count; process B then takes the whole limit. A lets exactly its slack
// through before Redis tells it the limit is reached; then both refuse,
// A without asking Redis again.
func TestSharedOvershootIsTheSlack(t *testing.T) {
	opts := redisOptions(t)
	rates := Rates{User: mustRate(t, "200/hour")} // slack 2
	a, logA := sharedLimiter(t, opts, rates, time.Hour)
	b, _ := sharedLimiter(t, opts, rates, time.Hour)
	key := uniqueKey(t, newClient(t, opts))

	takeN(t, a, ports.RateUser, key, 1)
	for i, d := range takeN(t, b, ports.RateUser, key, 199) {
		if !d.Allowed {
			t.Fatalf("B's request %d of the limit refused: %+v", i+1, d)
		}
	}
	if err := b.reconcileOnce(); err != nil {
		t.Fatalf("B's reconcile: %v", err)
	}
	logA.take()
	got := takeN(t, a, ports.RateUser, key, 4)
	for i, want := range []bool{true, true, false, false} {
		if got[i].Allowed != want {
			t.Errorf("A's request %d after B took the limit: allowed %v, want %v (%+v)", i+1, got[i].Allowed, want, got[i])
		}
	}
	if cmds := logA.take(); !slices.Equal(cmds, evalshas(1)) {
		t.Errorf("A sent %q, want one EVALSHA when its slack ran out and none for the refusal after it", cmds)
	}
	if d := takeN(t, b, ports.RateUser, key, 1)[0]; d.Allowed || d.Remaining != 0 {
		t.Errorf("B's request past the limit = %+v, want refused", d)
	}
}

// TestSharedToleranceUnderConcurrency: many requests at once through two
// processes sharing one Redis let through at least the limit and at most
// the limit plus both processes' slack; below 100, exactly the limit.
func TestSharedToleranceUnderConcurrency(t *testing.T) {
	opts := redisOptions(t)
	const workers, perWorker = 32, 60
	tests := []struct {
		name         string
		rates        Rates
		class        ports.RateClass
		limit, slack int64
	}{
		{"user, slack 10", Rates{User: mustRate(t, "1000/hour")}, ports.RateUser, 1000, 10},
		{"API key, the burst binds, slack 5", Rates{APIKey: mustRate(t, "100000/hour"), APIKeyBurst: mustRate(t, "500/minute")}, ports.RateAPIKey, 500, 5},
		{"API key, the sustained binds, slack 7", Rates{APIKey: mustRate(t, "700/hour"), APIKeyBurst: mustRate(t, "100000/minute")}, ports.RateAPIKey, 700, 7},
		{"user, no slack", Rates{User: mustRate(t, "57/hour")}, ports.RateUser, 57, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := sharedLimiter(t, opts, tt.rates, 5*time.Millisecond)
			b, _ := sharedLimiter(t, opts, tt.rates, 5*time.Millisecond)
			key := uniqueKey(t, newClient(t, opts))
			got := takeConcurrently(t, []*Limiter{a, b}, tt.class, key, workers, perWorker)
			t.Logf("%d requests, limit %d: %d allowed", workers*perWorker, tt.limit, got)
			if got < tt.limit || got > tt.limit+2*tt.slack {
				t.Errorf("two processes let %d through, want between the limit %d and %d (limit + 2 x slack %d)", got, tt.limit, tt.limit+2*tt.slack, tt.slack)
			}
		})
	}
}

// TestSharedCloseSendsThePending: Close sends Redis what the process
// decided since the last reconcile; after it every request asks Redis.
func TestSharedCloseSendsThePending(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	l, log := sharedLimiter(t, opts, Rates{User: mustRate(t, "100000/hour")}, time.Hour)
	key := uniqueKey(t, client)
	takeN(t, l, ports.RateUser, key, 21)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := counted(t, client, ports.RateUser, key); n != 21 {
		t.Fatalf("Redis counted %d after Close, want the 21 requests", n)
	}
	log.take()
	if d := takeN(t, l, ports.RateUser, key, 3)[2]; d.Remaining != 100000-24 {
		t.Errorf("decision after Close = %+v, want Redis's count", d)
	}
	if got := log.take(); !slices.Equal(got, evalshas(3)) {
		t.Errorf("3 requests after Close sent %q, want one EVALSHA each", got)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSharedWindowEnds: when a counter's window ends, the next request
// asks Redis and counts in a new window.
func TestSharedWindowEnds(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	l, log := sharedLimiter(t, opts, Rates{User: mustRate(t, "300/second")}, time.Hour)
	key := uniqueKey(t, client)
	started := time.Now()
	takeN(t, l, ports.RateUser, key, 3)
	if !waitUntil(func() bool {
		return time.Since(started) > 1100*time.Millisecond && counted(t, client, ports.RateUser, key) == 0
	}) {
		t.Fatal("the 1 s window did not end")
	}
	log.take()
	d := takeN(t, l, ports.RateUser, key, 1)[0]
	if got := log.take(); !slices.Equal(got, evalshas(1)) {
		t.Errorf("the first request of a new window sent %q, want one EVALSHA", got)
	}
	if !d.Allowed || d.Remaining != 299 || d.Reset.After(time.Now().Add(2*time.Second)) {
		t.Errorf("first decision of the new window = %+v, want allowed with 299 remaining, resetting within 2 s", d)
	}
	// The requests of the old window that were never sent count for nothing.
	if err := l.reconcileOnce(); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	if n := counted(t, client, ports.RateUser, key); n != 1 {
		t.Errorf("Redis counted %d in the new window, want 1", n)
	}
}

// TestSharedClosedClientIsNoFailure: when the process closes its Redis
// client (it is stopping), the reconciling ends without opening the
// circuit, and every later request asks Redis.
func TestSharedClosedClientIsNoFailure(t *testing.T) {
	opts := redisOptions(t)
	client := redis.NewClient(opts)
	store, err := NewRedisStore(client)
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	logger, hook := logtest.NewNullLogger()
	l := NewWithFallback(store, Rates{User: mustRate(t, "100000/hour")}, CircuitOptions{Logger: logger, SyncInterval: 5 * time.Millisecond})
	key := uniqueKey(t, newClient(t, opts))
	takeN(t, l, ports.RateUser, key, 5)
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	takeN(t, l, ports.RateUser, key, 3) // decided in process: pending for the next reconcile
	if !waitUntil(func() bool {
		select {
		case <-l.done:
			return true
		default:
			return false
		}
	}) {
		t.Fatal("the reconciling did not end after the client was closed")
	}
	if _, ok := l.views.takeLocal(time.Now(), l.user, key); ok {
		t.Error("a request was decided in process after the reconciling ended")
	}
	if entries := hook.AllEntries(); len(entries) != 0 {
		t.Errorf("closing the client logged %q, want nothing", entries[0].Message)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close after the client: %v", err)
	}
}
