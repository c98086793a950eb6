package ratelimit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/ulule/limiter/v3"
	redisstore "github.com/ulule/limiter/v3/drivers/store/redis"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// commandLog is a go-redis hook that records the name of every command a
// client sends (a pipeline counts as one round trip, "pipeline"). When
// forget is set, the next EVALSHA names a script Redis does not know, as
// after a restart or SCRIPT FLUSH, without touching the shared server.
type commandLog struct {
	mu     sync.Mutex
	names  []string
	forget atomic.Bool
}

func (h *commandLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *commandLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "evalsha" && h.forget.CompareAndSwap(true, false) {
			cmd.Args()[1] = strings.Repeat("0", 40)
		}
		h.record(cmd.Name())
		return next(ctx, cmd)
	}
}

func (h *commandLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.record("pipeline")
		return next(ctx, cmds)
	}
}

func (h *commandLog) record(name string) {
	h.mu.Lock()
	h.names = append(h.names, name)
	h.mu.Unlock()
}

// take returns the commands recorded so far and forgets them.
func (h *commandLog) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := h.names
	h.names = nil
	return names
}

// redisLimiter returns a Limiter over the test Redis with its own client,
// whose commands log records.
func redisLimiter(t *testing.T, opts *redis.Options, rates Rates) (*Limiter, *commandLog) {
	t.Helper()
	client := newClient(t, opts)
	log := &commandLog{}
	client.AddHook(log)
	store, err := NewRedisStore(client)
	if err != nil {
		t.Fatalf("NewRedisStore: %v", err)
	}
	log.take() // the scripts' loading and the connection's set-up
	return New(store, rates), log
}

// TestRedisDecidesAsInProcess runs the same requests through the Redis
// store and the in-process one: every decision is the same (allowed, the
// binding limit, remaining), with the same reset to the second.
func TestRedisDecidesAsInProcess(t *testing.T) {
	opts := redisOptions(t)
	tests := []struct {
		name     string
		rates    Rates
		class    ports.RateClass
		requests int
	}{
		{"anonymous", Rates{Anonymous: mustRate(t, "4/minute")}, ports.RateAnonymous, 6},
		{"user", Rates{User: mustRate(t, "5/hour")}, ports.RateUser, 7},
		{"API key, burst binds", Rates{APIKey: mustRate(t, "10/hour"), APIKeyBurst: mustRate(t, "3/minute")}, ports.RateAPIKey, 6},
		{"API key, sustained binds", Rates{APIKey: mustRate(t, "3/hour"), APIKeyBurst: mustRate(t, "100/minute")}, ports.RateAPIKey, 6},
		{"API key, both reached together", Rates{APIKey: mustRate(t, "4/hour"), APIKeyBurst: mustRate(t, "4/minute")}, ports.RateAPIKey, 6},
		{"API key, burst then sustained", Rates{APIKey: mustRate(t, "5/hour"), APIKeyBurst: mustRate(t, "3/minute")}, ports.RateAPIKey, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shared, _ := redisLimiter(t, opts, tt.rates)
			inProcess := New(NewMemoryStore(), tt.rates)
			key := uniqueKey(t, newClient(t, opts))
			got := takeN(t, shared, tt.class, key, tt.requests)
			want := takeN(t, inProcess, tt.class, key, tt.requests)
			for i := range got {
				g, w := got[i], want[i]
				if g.Allowed != w.Allowed || g.Limit != w.Limit || g.Remaining != w.Remaining {
					t.Errorf("take #%d: Redis %+v, in process %+v", i+1, g, w)
				}
				if d := g.Reset.Sub(w.Reset); d < -time.Second || d > time.Second {
					t.Errorf("take #%d: Redis resets at %s, in process at %s", i+1, g.Reset, w.Reset)
				}
			}
		})
	}
}

// TestRedisCountsBothWindows: an API-key request counts on its sustained
// and its burst counter, each expiring with its own window.
func TestRedisCountsBothWindows(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	sustained, burst := mustRate(t, "50/hour"), mustRate(t, "20/minute")
	l, _ := redisLimiter(t, opts, Rates{APIKey: sustained, APIKeyBurst: burst})
	key := uniqueKey(t, client)
	takeN(t, l, ports.RateAPIKey, key, 25)

	for _, c := range []counter{{ports.RateAPIKey, sustained}, {burstClass, burst}} {
		name := storeKey(counterKey(c.class, keyDigest(key)))
		count, err := client.Get(context.Background(), name).Int64()
		if err != nil || count != 25 {
			t.Errorf("counter %s = %d, %v; want 25", c.class, count, err)
		}
		ttl, err := client.PTTL(context.Background(), name).Result()
		if err != nil || ttl <= c.rate.Period-time.Minute/2 || ttl > c.rate.Period {
			t.Errorf("counter %s expires in %s (%v), want within its window of %s", c.class, ttl, err, c.rate.Period)
		}
	}
}

// TestRedisWindowEnds: a denied request's reset is when its window ends,
// and then the counter is gone and the next request opens a new window.
func TestRedisWindowEnds(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	l, _ := redisLimiter(t, opts, Rates{Anonymous: mustRate(t, "2/second")})
	key := uniqueKey(t, client)
	started := time.Now()
	decisions := takeN(t, l, ports.RateAnonymous, key, 3)
	denied := decisions[2]
	if denied.Allowed || denied.Remaining != 0 {
		t.Fatalf("third take in a 2/second window = %+v, want denied", denied)
	}
	if !denied.Reset.After(started) || denied.Reset.After(started.Add(2*time.Second)) {
		t.Errorf("reset %s, want within the second after %s, rounded up", denied.Reset, started)
	}
	name := storeKey(counterKey(ports.RateAnonymous, keyDigest(key)))
	if ttl, err := client.PTTL(context.Background(), name).Result(); err != nil || ttl <= 0 || ttl > time.Second {
		t.Fatalf("counter expires in %s (%v), want within the 1 s window", ttl, err)
	}
	if !waitUntil(func() bool { return client.Exists(context.Background(), name).Val() == 0 }) {
		t.Fatal("the counter did not expire with its window")
	}
	if d := takeN(t, l, ports.RateAnonymous, key, 1)[0]; !d.Allowed || d.Remaining != 1 {
		t.Errorf("first take of the next window = %+v, want allowed with 1 remaining", d)
	}
}

// TestRedisOneRoundTripPerTake: every request costs exactly one command,
// one EVALSHA, whatever its class.
func TestRedisOneRoundTripPerTake(t *testing.T) {
	opts := redisOptions(t)
	rate := mustRate(t, "1000/minute")
	l, log := redisLimiter(t, opts, Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate})
	key := uniqueKey(t, newClient(t, opts))
	takeN(t, l, ports.RateUser, key, 1) // dials the connection
	log.take()
	for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
		takeN(t, l, class, key, 10)
		if got, want := log.take(), slices.Repeat([]string{"evalsha"}, 10); !slices.Equal(got, want) {
			t.Errorf("10 %s requests sent %q, want one EVALSHA each", class, got)
		}
	}
}

// TestRedisScriptReloaded: when Redis has forgotten the script (restarted,
// SCRIPT FLUSH), the request runs it by EVAL and counts once.
func TestRedisScriptReloaded(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	l, log := redisLimiter(t, opts, Rates{APIKey: mustRate(t, "10/hour"), APIKeyBurst: mustRate(t, "5/minute")})
	key := uniqueKey(t, client)
	takeN(t, l, ports.RateAPIKey, key, 1)
	log.take()
	log.forget.Store(true)
	d := takeN(t, l, ports.RateAPIKey, key, 1)[0]
	if got := log.take(); !slices.Equal(got, []string{"evalsha", "eval"}) {
		t.Errorf("a request after Redis forgot the script sent %q, want EVALSHA then EVAL", got)
	}
	if !d.Allowed || d.Limit != 5 || d.Remaining != 3 {
		t.Errorf("decision = %+v, want allowed by the burst limit 5 with 3 remaining (counted once)", d)
	}
	for _, class := range []ports.RateClass{ports.RateAPIKey, burstClass} {
		if n, err := client.Get(context.Background(), storeKey(counterKey(class, keyDigest(key)))).Int64(); err != nil || n != 2 {
			t.Errorf("counter %s = %d, %v; want 2", class, n, err)
		}
	}
}

// TestRedisConcurrentTakesNeverOverAdmit: many requests at once through two
// limiters sharing one Redis let exactly the limit through.
func TestRedisConcurrentTakesNeverOverAdmit(t *testing.T) {
	opts := redisOptions(t)
	const workers, perWorker = 32, 10
	tests := []struct {
		name  string
		rates Rates
		class ports.RateClass
		limit int
	}{
		{"user", Rates{User: mustRate(t, "57/hour")}, ports.RateUser, 57},
		{"API key, sustained binds", Rates{APIKey: mustRate(t, "50/hour"), APIKeyBurst: mustRate(t, "1000/minute")}, ports.RateAPIKey, 50},
		{"API key, burst binds", Rates{APIKey: mustRate(t, "1000/hour"), APIKeyBurst: mustRate(t, "43/minute")}, ports.RateAPIKey, 43},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := redisLimiter(t, opts, tt.rates)
			b, _ := redisLimiter(t, opts, tt.rates)
			key := uniqueKey(t, newClient(t, opts))
			allowed := takeConcurrently(t, []*Limiter{a, b}, tt.class, key, workers, perWorker)
			if got := allowed; got != int64(tt.limit) {
				t.Errorf("%d concurrent requests through two limiters: %d allowed, want exactly %d", workers*perWorker, got, tt.limit)
			}
		})
	}
}

// TestRedisSharesCountsWithUluleStore: a process still counting with
// ulule/limiter's Redis store (during a rolling upgrade) and one counting
// with the script share one count per counter.
func TestRedisSharesCountsWithUluleStore(t *testing.T) {
	opts := redisOptions(t)
	client := newClient(t, opts)
	old, err := redisstore.NewStoreWithOptions(client, limiter.StoreOptions{Prefix: KeyPrefix})
	if err != nil {
		t.Fatalf("ulule's Redis store: %v", err)
	}
	rates := Rates{APIKey: mustRate(t, "6/hour"), APIKeyBurst: mustRate(t, "100/minute")}
	current, _ := redisLimiter(t, opts, rates)
	previous := New(old, rates)
	key := uniqueKey(t, client)
	for i := range 8 {
		l := []*Limiter{previous, current}[i%2]
		d := takeN(t, l, ports.RateAPIKey, key, 1)[0]
		if want := max(5-int64(i), 0); d.Allowed != (i < 6) || d.Limit != 6 || d.Remaining != want {
			t.Errorf("take #%d (%s store) = %+v, want allowed %v, limit 6, remaining %d",
				i+1, []string{"ulule's", "the script's"}[i%2], d, i < 6, want)
		}
	}
}

// TestRedisCircuitAroundTheScript: behind the circuit, the script's store
// fails over to counting in process when Redis goes away, whether each
// request asks Redis or the process decides between reconciles (then the
// failing reconcile opens the circuit), and a request whose context ended
// is no failure of it.
func TestRedisCircuitAroundTheScript(t *testing.T) {
	opts := redisOptions(t)
	for _, tt := range []struct {
		name         string
		syncInterval time.Duration
	}{
		{"every request in Redis", -1},
		{"decided in process between reconciles", 20 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxy := startProxy(t, opts.Addr)
			viaProxy := *opts
			viaProxy.Addr = proxy.Addr()
			viaProxy.MaxRetries = -1
			viaProxy.DialTimeout = time.Second
			store, err := NewRedisStore(newClient(t, &viaProxy))
			if err != nil {
				t.Fatalf("NewRedisStore: %v", err)
			}
			logger, hook := logtest.NewNullLogger()
			rate := mustRate(t, "1000/minute")
			l := NewWithFallback(store, Rates{Anonymous: rate, User: rate, APIKey: rate, APIKeyBurst: rate},
				CircuitOptions{Backoff: time.Hour, Logger: logger, SyncInterval: tt.syncInterval})
			t.Cleanup(func() { _ = l.Close() })
			key := uniqueKey(t, newClient(t, opts))

			canceled, cancel := context.WithCancel(context.Background())
			cancel()
			for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
				if _, err := l.Take(canceled, class, key); !errors.Is(err, context.Canceled) {
					t.Fatalf("Take(%s) with a canceled context = %v, want context.Canceled", class, err)
				}
			}
			for _, class := range []ports.RateClass{ports.RateAnonymous, ports.RateUser, ports.RateAPIKey} {
				if d, err := l.Take(context.Background(), class, key); err != nil || !d.Allowed {
					t.Fatalf("Take(%s) with Redis up after canceled requests = %+v, %v; want allowed", class, d, err)
				}
			}
			if entries := hook.AllEntries(); len(entries) != 0 {
				t.Fatalf("canceled requests opened the circuit: %q", entries[0].Message)
			}

			proxy.Close()
			opened := func() bool {
				entries := hook.AllEntries()
				return len(entries) == 1 && strings.HasPrefix(entries[0].Message, "rate limit store unavailable")
			}
			for range 3 {
				if d, err := l.Take(context.Background(), ports.RateUser, key); err != nil || !d.Allowed {
					t.Fatalf("Take(user) with Redis gone = %+v, %v; want allowed", d, err)
				}
			}
			if !waitUntil(opened) {
				t.Fatalf("log with Redis gone: %d lines, want the circuit's opening line", len(hook.AllEntries()))
			}
			for _, class := range []ports.RateClass{ports.RateAPIKey, ports.RateUser} {
				if d, err := l.Take(context.Background(), class, "other-"+key); err != nil || !d.Allowed || d.Remaining != 999 {
					t.Errorf("Take(%s) with the circuit open = %+v, %v; want allowed, counted afresh in process", class, d, err)
				}
			}
			if _, err := l.Take(context.Background(), ports.RateAnonymous, key); !domain.IsKind(err, domain.KindUnavailable) {
				t.Errorf("anonymous Take with Redis gone = %v, want SERVICE_UNAVAILABLE", err)
			}
			if !opened() {
				t.Errorf("log: %d lines, want only the opening line", len(hook.AllEntries()))
			}
		})
	}
}

// takeConcurrently sends workers × perWorker requests of class for key, the
// workers spread over the limiters in turn, and returns how many were
// allowed; a failed Take fails t.
func takeConcurrently(t *testing.T, limiters []*Limiter, class ports.RateClass, key string, workers, perWorker int) int64 {
	t.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		l := limiters[w%len(limiters)]
		wg.Go(func() {
			for range perWorker {
				d, err := l.Take(context.Background(), class, key)
				if err != nil {
					errs <- err
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Take: %v", err)
	}
	return allowed.Load()
}
