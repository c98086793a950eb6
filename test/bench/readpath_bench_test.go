package bench

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/pgtest"
)

// readPathConns are the concurrent connections (and client goroutines) of
// the HTTP read path benchmarks.
var readPathConns = []int{8, 64}

// readPathLimiters are the rate limiters the read path is measured with.
var readPathLimiters = []struct {
	name string
	new  func(testing.TB) ports.RateLimiter
}{
	{"limiter=memory", memoryLimiter},
	{"limiter=redis", redisLimiter},
}

// BenchmarkReadPath measures GET /api/v1/assets/{slug}/values with an API
// key over TCP on 127.0.0.1, served from the read cache on PostgreSQL, at 8
// and 64 concurrent keep-alive connections in a closed loop: requests per
// second, p50 and p99 latency, and SQL statements per read. Beside it, in
// the same run, a bare net/http handler answers the same bytes; the API is
// reported against it: bare-ratio is the API's throughput divided by the
// bare handler's, bare-cpu-ratio the bare handler's CPU time per request
// divided by the API's (what bare-ratio would be with both CPU-bound on a
// machine of their own).
func BenchmarkReadPath(b *testing.B) {
	store, counter := openPostgres(b)
	fx := newReadPathFixture(b, store)
	api := fx.serve(b, memoryLimiter(b))
	body, err := newReader(b, api.URL+readPath, fx.apiKey, 1).fetch(b.Context())
	if err != nil {
		b.Fatalf("read the resolved configuration: %v", err)
	}
	bare := serveTCP(b, bareHandler(body))
	for _, conns := range readPathConns {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			var baseline loadResult
			b.Run("bare", func(b *testing.B) {
				baseline = benchReads(b, bare, fx.apiKey, conns, len(body), nil)
			})
			for _, lim := range readPathLimiters {
				b.Run(lim.name, func(b *testing.B) {
					srv := fx.serve(b, lim.new(b))
					r := benchReads(b, srv, fx.apiKey, conns, len(body), counter)
					if baseline.ops > 0 && r.cpu > 0 {
						b.ReportMetric(r.perSecond()/baseline.perSecond(), "bare-ratio")
						b.ReportMetric(baseline.cpuPerOp().Seconds()/r.cpuPerOp().Seconds(), "bare-cpu-ratio")
					}
				})
			}
		})
	}
}

// benchReads sends b.N reads of the resolved configuration to srv from conns
// goroutines over conns connections, after a warm-up, and reports them; a
// non-nil counter reports the SQL statements they caused.
func benchReads(b *testing.B, srv *httptest.Server, apiKey string, conns, bodyBytes int, counter *pgtest.Counter) loadResult {
	r := newReader(b, srv.URL+readPath, apiKey, conns)
	r.warmUp(b, conns, bodyBytes)
	if counter != nil {
		counter.Reset()
	}
	res := load{workers: conns}.run(b, func(_, _ int) error {
		return r.read(b.Context(), bodyBytes)
	})
	res.report(b, "req/s")
	res.reportStatements(b, counter)
	return res
}
