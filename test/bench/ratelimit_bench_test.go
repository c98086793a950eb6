package bench

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/configmat/configmat/ports"
)

// redisLimiterModes are the ways the Redis limiter is measured: every
// request counted in Redis first, in one round trip (one EVALSHA for both
// API-key windows), and as cmd/configmat runs it, deciding authenticated
// requests in process between reconciles (DefaultSyncInterval).
var redisLimiterModes = []struct {
	name         string
	syncInterval time.Duration
}{
	{"limiter=redis-round-trip", -1},
	{"limiter=redis", 0},
}

// BenchmarkRedisLimiter measures what the Redis limiter costs, beside the
// in-process one, in the same run: "take" is Limiter.Take alone for an API
// key (one key per goroutine); the read path with each limiter against the
// bare handler is BenchmarkReadPath's. It reports the process's CPU per
// operation, the round trips to Redis per operation (redis-trips/op:
// commands and pipelines the client sent) and the Redis server's CPU per
// operation (redis-cpu-µs/op, from INFO cpu: on a Redis shared with other
// work it includes that work).
func BenchmarkRedisLimiter(b *testing.B) {
	server := newRedisClient(b)
	b.Run("take", func(b *testing.B) {
		for _, conns := range readPathConns {
			b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
				b.Run("limiter=memory", func(b *testing.B) {
					benchTakes(b, memoryLimiter(b), conns, nil, nil)
				})
				for _, mode := range redisLimiterModes {
					b.Run(mode.name, func(b *testing.B) {
						l, trips := countedRedisLimiter(b, mode.syncInterval)
						benchTakes(b, l, conns, trips, server)
					})
				}
			})
		}
	})
}

// benchTakes calls l.Take for API keys from conns goroutines, one key
// each, and reports the run; with a non-nil trips and server, also the
// round trips to Redis and Redis's CPU per Take.
func benchTakes(b *testing.B, l ports.RateLimiter, conns int, trips *atomic.Int64, server *redis.Client) {
	keys := make([]string, conns)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench-take-%d-%d", time.Now().UnixNano(), i)
		if _, err := l.Take(b.Context(), ports.RateAPIKey, keys[i]); err != nil {
			b.Fatalf("warm-up Take: %v", err)
		}
	}
	var m *redisMeter
	if trips != nil {
		m = startRedisMeter(b, server, trips)
	}
	res := load{workers: conns}.run(b, func(w, _ int) error {
		d, err := l.Take(context.Background(), ports.RateAPIKey, keys[w])
		if err == nil && !d.Allowed {
			err = fmt.Errorf("a generous limit refused a request: %+v", d)
		}
		return err
	})
	res.report(b, "takes/s")
	if m != nil {
		m.report(b, res.ops)
	}
}

// reportRatio reports r's throughput divided by base's as unit, when base ran.
func reportRatio(b *testing.B, r, base loadResult, unit string) {
	if base.ops > 0 && r.ops > 0 {
		b.ReportMetric(r.perSecond()/base.perSecond(), unit)
	}
}

// redisMeter measures a run's round trips to Redis and Redis's CPU time.
type redisMeter struct {
	server   *redis.Client
	trips    *atomic.Int64
	cpuStart time.Duration
	start    int64
}

func startRedisMeter(b *testing.B, server *redis.Client, trips *atomic.Int64) *redisMeter {
	return &redisMeter{server: server, trips: trips, cpuStart: redisCPU(b, server), start: trips.Load()}
}

// report records the round trips and Redis's CPU per operation of ops.
func (m *redisMeter) report(b *testing.B, ops int) {
	b.ReportMetric(float64(m.trips.Load()-m.start)/float64(ops), "redis-trips/op")
	b.ReportMetric(micros(redisCPU(b, m.server)-m.cpuStart)/float64(ops), "redis-cpu-µs/op")
}

// redisCPU is the user and system CPU time the Redis server has used, from
// INFO cpu.
func redisCPU(b *testing.B, server *redis.Client) time.Duration {
	info, err := server.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatalf("INFO cpu: %v", err)
	}
	var total time.Duration
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || (name != "used_cpu_user" && name != "used_cpu_sys") {
			continue
		}
		seconds, err := strconv.ParseFloat(value, 64)
		if err != nil {
			b.Fatalf("INFO cpu: %s is %q", name, value)
		}
		total += time.Duration(seconds * float64(time.Second))
	}
	return total
}
