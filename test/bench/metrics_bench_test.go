package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// metricsRounds is how many times BenchmarkReadPathMetrics runs each
// handler; each round runs all three, the order rotating, so that a change
// of the machine's load during the run weighs on all alike.
const metricsRounds = 30

// scrapeInterval is how often the benchmark scrapes /metrics while the
// handler with metrics serves: Prometheus scrapes every 15 to 60 seconds, so
// this is a harsh case.
const scrapeInterval = time.Second

// variantResult adds up the rounds of one handler.
type variantResult struct {
	ops     int
	elapsed time.Duration
	cpu     time.Duration
	// perSecond is each round's throughput.
	perSecond []float64
}

func (v *variantResult) add(ops int, elapsed, cpu time.Duration) {
	v.ops += ops
	v.elapsed += elapsed
	v.cpu += cpu
	v.perSecond = append(v.perSecond, float64(ops)/elapsed.Seconds())
}

// BenchmarkReadPathMetrics measures what the metrics cost the read path: the
// API with the in-process limiter (the cheapest handler, so the metrics'
// share is the largest) without metrics, and with them wired as
// cmd/configmat wires them and /metrics scraped every second while it
// serves. A third server, a second copy of the one without metrics, is the
// control: what it "costs" against the first is the noise of the run. All
// three run in the same process on the same cached store, interleaved:
// metricsRounds rounds of b.N/metricsRounds reads each, the order rotating.
// It reports each variant's throughput and CPU per read over all rounds,
// and cost-% = (1 - variant/without) × 100 of throughput and of CPU per read
// (the steadier one on a shared machine) for the metrics and the control.
func BenchmarkReadPathMetrics(b *testing.B) {
	store, _ := openPostgres(b)
	fx := newReadPathFixture(b, store)
	servers := map[string]*httptest.Server{
		"without": fx.serveAPI(b, memoryLimiter(b), nil),
		"with":    fx.serve(b, memoryLimiter(b)),
		"control": fx.serveAPI(b, memoryLimiter(b), nil),
	}
	var scrapes *scraper
	compareVariants(b, servers, fx.apiKey, variantHooks{
		start: func(b *testing.B) { scrapes = startScraper(b, servers["with"].URL+"/metrics") },
		around: func(name string, read func()) {
			if name == "with" {
				scrapes.resume()
			}
			read()
			scrapes.pause()
		},
		done: func(b *testing.B, results map[string]*variantResult) {
			n, err := scrapes.stop()
			if err != nil {
				b.Fatalf("scraping /metrics: %v", err)
			}
			if n == 0 && results["with"].elapsed > 2*scrapeInterval {
				b.Fatalf("no scrape of /metrics during %s of reads", results["with"].elapsed)
			}
			reportMetricsCost(b, results, n)
		},
	})
}

// variantHooks are what one comparison adds to compareVariants' runs: start
// runs before each sub-benchmark's rounds, around (when set) around each
// variant's round, and done reports a sub-benchmark's results.
type variantHooks struct {
	start  func(b *testing.B)
	around func(name string, read func())
	done   func(b *testing.B, results map[string]*variantResult)
}

// compareVariants reads the resolved configuration from the servers
// "without", "with" and "control" at each of readPathConns connections,
// interleaved: metricsRounds rounds of b.N/metricsRounds reads of each, the
// order rotating, so that a change of the machine's load weighs on all.
func compareVariants(b *testing.B, servers map[string]*httptest.Server, apiKey string, h variantHooks) {
	b.Helper()
	body, err := newReader(b, servers["without"].URL+readPath, apiKey, 1).fetch(b.Context())
	if err != nil {
		b.Fatalf("read the resolved configuration: %v", err)
	}
	variants := []string{"without", "with", "control"}
	for _, conns := range readPathConns {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			readers := map[string]*reader{}
			results := map[string]*variantResult{}
			for _, name := range variants {
				readers[name] = newReader(b, servers[name].URL+readPath, apiKey, conns)
				readers[name].warmUp(b, conns, len(body))
				results[name] = &variantResult{}
			}
			perRound := max(b.N/metricsRounds, 1)
			if h.start != nil {
				h.start(b)
			}
			b.ResetTimer()
			for round := range metricsRounds {
				for i := range variants {
					name := variants[(round+i)%len(variants)]
					read := func() {
						ops, elapsed, cpu := closedLoop(b, readers[name], conns, perRound, len(body))
						results[name].add(ops, elapsed, cpu)
					}
					if h.around != nil {
						h.around(name, read)
					} else {
						read()
					}
				}
			}
			b.StopTimer()
			h.done(b, results)
		})
	}
}

// reportMetricsCost reports the variants and what "with" and "control" cost
// against "without".
func reportMetricsCost(b *testing.B, results map[string]*variantResult, scrapes int) {
	b.Helper()
	rate := func(v *variantResult) float64 { return float64(v.ops) / v.elapsed.Seconds() }
	cpuPerOp := func(v *variantResult) float64 { return v.cpu.Seconds() / float64(v.ops) }
	base := results["without"]
	b.ReportMetric(rate(base), "without-req/s")
	b.ReportMetric(cpuPerOp(base)*1e6, "without-cpu-µs/op")
	for _, name := range []string{"with", "control"} {
		v := results[name]
		b.ReportMetric(rate(v), name+"-req/s")
		b.ReportMetric(cpuPerOp(v)*1e6, name+"-cpu-µs/op")
		b.ReportMetric((1-rate(v)/rate(base))*100, name+"-cost-%")
		b.ReportMetric((cpuPerOp(v)/cpuPerOp(base)-1)*100, name+"-cpu-cost-%")
		ratios := make([]float64, len(v.perSecond))
		for i := range ratios {
			ratios[i] = v.perSecond[i] / base.perSecond[i]
		}
		slices.Sort(ratios)
		b.ReportMetric((1-ratios[len(ratios)/2])*100, name+"-median-round-cost-%")
	}
	b.ReportMetric(float64(scrapes), "scrapes")
}

// closedLoop sends n reads of r from conns goroutines, each starting its
// next read when its previous one ends, and returns the reads done, the wall
// time and the process's CPU time. The first error fails b.
func closedLoop(b *testing.B, r *reader, conns, n, bodyBytes int) (int, time.Duration, time.Duration) {
	b.Helper()
	var (
		next    atomic.Int64
		failure atomic.Pointer[error]
		wg      sync.WaitGroup
	)
	cpuStart := processCPU(b)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && failure.Load() == nil {
				if err := r.read(b.Context(), bodyBytes); err != nil {
					failure.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpuStart
	if err := failure.Load(); err != nil {
		b.Fatalf("read: %v", *err)
	}
	return n, elapsed, cpu
}

// scraper gets a /metrics every scrapeInterval while it is resumed.
type scraper struct {
	running atomic.Bool
	ok      atomic.Int64
	failed  atomic.Pointer[error]
	cancel  context.CancelFunc
	done    chan struct{}
}

// startScraper starts a paused scraper of url.
func startScraper(b *testing.B, url string) *scraper {
	ctx, cancel := context.WithCancel(b.Context())
	s := &scraper{cancel: cancel, done: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(scrapeInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !s.running.Load() {
				continue
			}
			if err := scrapeOnce(ctx, client, url); err != nil && ctx.Err() == nil {
				s.failed.CompareAndSwap(nil, &err)
				continue
			}
			s.ok.Add(1)
		}
	}()
	b.Cleanup(func() { _, _ = s.stop() })
	return s
}

func (s *scraper) resume() { s.running.Store(true) }
func (s *scraper) pause()  { s.running.Store(false) }

// stop ends the scraper and returns the number of scrapes that succeeded
// and the first failure (idempotent).
func (s *scraper) stop() (int, error) {
	s.cancel()
	<-s.done
	if err := s.failed.Load(); err != nil {
		return int(s.ok.Load()), *err
	}
	return int(s.ok.Load()), nil
}

// scrapeOnce gets url and reads the whole answer.
func scrapeOnce(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}
