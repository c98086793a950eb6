package bench

import (
	"context"
	"io"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"github.com/ulule/limiter/v3"

	"github.com/configmat/configmat/adapters/ratelimit"
	"github.com/configmat/configmat/ports"
)

// envRedisURL names the Redis the benchmarks use; defaultRedisURL is used
// when it is unset.
const (
	envRedisURL     = "CONFIGMAT_TEST_REDIS_URL"
	defaultRedisURL = "redis://127.0.0.1:6379/0"
)

// generousRates never deny: the benchmarks measure what counting costs, not
// refusals. The windows are the production ones, so the Redis counters
// expire on their own.
func generousRates(tb testing.TB) ratelimit.Rates {
	tb.Helper()
	parse := func(s string) limiter.Rate {
		r, err := ratelimit.ParseRate(s)
		if err != nil {
			tb.Fatalf("rate %q: %v", s, err)
		}
		return r
	}
	return ratelimit.Rates{
		Anonymous:   parse("1000000000/hour"),
		User:        parse("1000000000/hour"),
		APIKey:      parse("1000000000/hour"),
		APIKeyBurst: parse("1000000000/minute"),
	}
}

// memoryLimiter is the in-process limiter, as without REDIS_URL.
func memoryLimiter(tb testing.TB) ports.RateLimiter {
	tb.Helper()
	return ratelimit.New(ratelimit.NewMemoryStore(), generousRates(tb))
}

// redisLimiter is the limiter shared through Redis as cmd/configmat builds
// it with REDIS_URL: behind the circuit, deciding authenticated requests in
// process between reconciles. It and its client are closed when tb ends.
func redisLimiter(tb testing.TB) ports.RateLimiter {
	tb.Helper()
	l, _ := countedRedisLimiter(tb, 0)
	return l
}

// countedRedisLimiter is redisLimiter reconciling every syncInterval (zero:
// the default; negative: every request counted in Redis first, one round
// trip each), with a count of the commands its client sends (a pipeline
// counts as one).
func countedRedisLimiter(tb testing.TB, syncInterval time.Duration) (ports.RateLimiter, *atomic.Int64) {
	tb.Helper()
	client := newRedisClient(tb)
	store, err := ratelimit.NewRedisStore(client)
	if err != nil {
		tb.Fatalf("Redis rate limit store: %v", err)
	}
	commands := &commandCounter{}
	client.AddHook(commands)
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	l := ratelimit.NewWithFallback(store, generousRates(tb), ratelimit.CircuitOptions{Logger: logger, SyncInterval: syncInterval})
	tb.Cleanup(func() { _ = l.Close() })
	return l, &commands.n
}

// commandCounter is a go-redis hook counting the round trips a client
// makes: one per command, one per pipeline.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// newRedisClient connects to the benchmarks' Redis, closed when tb ends.
// When Redis is unreachable tb is skipped, or fails with CI=true.
func newRedisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	url := os.Getenv(envRedisURL)
	if url == "" {
		url = defaultRedisURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatalf("%s is not a redis:// URL: %v", envRedisURL, err)
	}
	client := redis.NewClient(opts)
	tb.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		unavailable(tb, "Redis at %s is unreachable (%v); set %s", opts.Addr, err, envRedisURL)
	}
	return client
}

// unavailable skips tb for want of a server, or fails it when CI=true.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}
