package bench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
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

// readPathRounds is how many times each side runs in one benchmark
// iteration, alternating bare, API, API, bare, ... so that a slow spell of
// the shared machine weighs on both sides alike.
const readPathRounds = 4

// BenchmarkReadPath measures GET /api/v1/assets/{slug}/values with an API
// key over TCP on 127.0.0.1, served from the read cache on PostgreSQL, at 8
// and 64 concurrent keep-alive connections in a closed loop, both as a 200
// with the body and as a 304 (If-None-Match with the current ETag). The
// API is the handler as cmd/configmat wires it; beside it, interleaved in the
// same iterations, a bare net/http handler answers the same bytes (or the
// same 304) behind the same API-key check. Each iteration sends b.N requests
// to each side.
//
// Reported, for the API and (prefixed bare-) for the bare handler: requests
// per second, p50 and p99 latency, process CPU time and allocations per
// request; and bare-ratio (the API's throughput over bare's),
// bare-cpu-ratio (bare's CPU per request over the API's: what bare-ratio
// would be with both CPU-bound on a machine of their own), p99-ratio (the
// API's p99 over bare's) and the API's SQL statements per read. B/op and
// allocs/op of -benchmem count both sides of an iteration together.
func BenchmarkReadPath(b *testing.B) {
	store, counter := openPostgres(b)
	fx := newReadPathFixture(b, store)
	apis := make([]*httptest.Server, len(readPathLimiters))
	for i, lim := range readPathLimiters {
		apis[i] = fx.serve(b, lim.new(b))
	}
	body, etag := fetchAnswer(b, apis[0], fx.apiKey)
	b.Logf("the answer: %d bytes of JSON, ETag %s", len(body), etag)
	bare := serveTCP(b, fx.bareHandler(body, etag))
	answers := []struct {
		name string
		etag string
		want pollAnswer
	}{
		{"answer=200", "", pollAnswer{status: http.StatusOK, body: body}},
		{"answer=304", etag, pollAnswer{status: http.StatusNotModified}},
	}
	for _, conns := range readPathConns {
		for i, lim := range readPathLimiters {
			for _, a := range answers {
				b.Run(fmt.Sprintf("conns=%d/%s/%s", conns, lim.name, a.name), func(b *testing.B) {
					api := newPollClient(b, apis[i], conns, readPath, fx.apiKey, a.etag, a.want)
					base := newPollClient(b, bare, conns, readPath, fx.apiKey, a.etag, a.want)
					api.warmUp(b)
					base.warmUp(b)
					apiRes, bareRes := interleave(b, conns, api, base, counter)
					reportReadPath(b, apiRes, bareRes)
				})
			}
		}
	}
}

// fetchAnswer reads the resolved configuration once through the API and
// returns its body and ETag.
func fetchAnswer(b *testing.B, srv *httptest.Server, apiKey string) (body []byte, etag string) {
	b.Helper()
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL+readPath, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("X-API-Key", apiKey)
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatalf("read the resolved configuration: %v", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		b.Fatalf("read the resolved configuration: status %d, ETag %q, error %v: %s", resp.StatusCode, resp.Header.Get("ETag"), err, body)
	}
	return body, resp.Header.Get("ETag")
}

// sideResult is what the runs of one side of an interleaved benchmark
// measured together.
type sideResult struct {
	loadResult
	// mallocs counts the heap allocations of the whole process during the
	// runs.
	mallocs uint64
	// statements counts the SQL statements sent during the runs (-1: not
	// counted).
	statements int64
}

// add merges one run into s.
func (s *sideResult) add(r loadResult, mallocs uint64) {
	s.ops += r.ops
	s.elapsed += r.elapsed
	s.cpu += r.cpu
	s.latencies = append(s.latencies, r.latencies...)
	s.mallocs += mallocs
}

// interleave sends b.N polls through each of api and bare, conns at a time,
// in readPathRounds runs per side alternating bare, API, API, bare, ...; the
// statements counter measures the API's runs only.
func interleave(b *testing.B, conns int, api, bare *pollClient, counter *pgtest.Counter) (apiRes, bareRes sideResult) {
	b.Helper()
	apiRes.statements = 0
	bareRes.statements = -1
	run := func(c *pollClient, res *sideResult, n int) {
		if n <= 0 {
			return
		}
		if res == &apiRes {
			counter.Reset()
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := load{workers: conns}.measure(b, n, func(worker, _ int) error { return c.poll(worker) })
		runtime.ReadMemStats(&after)
		res.add(r, after.Mallocs-before.Mallocs)
		if res == &apiRes {
			res.statements += counter.Count()
		}
	}
	per := (b.N + readPathRounds - 1) / readPathRounds
	b.ResetTimer()
	for round := range readPathRounds {
		n := min(per, b.N-round*per)
		if round%2 == 0 {
			run(bare, &bareRes, n)
			run(api, &apiRes, n)
		} else {
			run(api, &apiRes, n)
			run(bare, &bareRes, n)
		}
	}
	b.StopTimer()
	slices.Sort(apiRes.latencies)
	slices.Sort(bareRes.latencies)
	return apiRes, bareRes
}

// reportReadPath records the API's and bare's figures and their ratios.
func reportReadPath(b *testing.B, api, bare sideResult) {
	b.Helper()
	if api.ops == 0 || bare.ops == 0 {
		return
	}
	b.ReportMetric(api.perSecond(), "req/s")
	b.ReportMetric(bare.perSecond(), "bare-req/s")
	b.ReportMetric(api.perSecond()/bare.perSecond(), "bare-ratio")
	b.ReportMetric(micros(api.percentile(50)), "p50-µs")
	b.ReportMetric(micros(api.percentile(99)), "p99-µs")
	b.ReportMetric(micros(bare.percentile(99)), "bare-p99-µs")
	if p99 := bare.percentile(99); p99 > 0 {
		b.ReportMetric(float64(api.percentile(99))/float64(p99), "p99-ratio")
	}
	b.ReportMetric(micros(api.cpuPerOp()), "cpu-µs/op")
	b.ReportMetric(micros(bare.cpuPerOp()), "bare-cpu-µs/op")
	if api.cpu > 0 {
		b.ReportMetric(bare.cpuPerOp().Seconds()/api.cpuPerOp().Seconds(), "bare-cpu-ratio")
	}
	b.ReportMetric(float64(api.mallocs)/float64(api.ops), "allocs/req")
	b.ReportMetric(float64(bare.mallocs)/float64(bare.ops), "bare-allocs/req")
	b.ReportMetric(float64(api.statements)/float64(api.ops), "sql/op")
}

// BenchmarkReadPathHandler calls the handlers of BenchmarkReadPath directly,
// with no connection and no net/http server around them, one request after
// the other: what the API's middleware and handler cost per request beside
// the bare handler's, without the network's noise.
func BenchmarkReadPathHandler(b *testing.B) {
	store, _ := openPostgres(b)
	fx := newReadPathFixture(b, store)
	srv := fx.serve(b, memoryLimiter(b))
	body, etag := fetchAnswer(b, srv, fx.apiKey)
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"api", srv.Config.Handler},
		{"bare", fx.bareHandler(body, etag)},
	}
	for _, h := range handlers {
		for _, a := range []struct {
			name, etag string
			status     int
		}{{"answer=200", "", http.StatusOK}, {"answer=304", etag, http.StatusNotModified}} {
			b.Run(h.name+"/"+a.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, readPath, nil)
				req.RemoteAddr = "127.0.0.1:40000"
				req.Header.Set("X-API-Key", fx.apiKey)
				if a.etag != "" {
					req.Header.Set("If-None-Match", a.etag)
				}
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.h.ServeHTTP(w, req)
					if w.Code != a.status {
						b.Fatalf("status %d, want %d: %s", w.Code, a.status, w.Body)
					}
				}
			})
		}
	}
}
