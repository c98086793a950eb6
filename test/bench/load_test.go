package bench

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/pgtest"
)

// loadResult is what a closed-loop run measured.
type loadResult struct {
	ops     int
	elapsed time.Duration
	// cpu is the user and system CPU time the whole process (load
	// generator, server and store clients alike) spent during the run.
	cpu time.Duration
	// latencies are the sampled operations' durations, sorted.
	latencies []time.Duration
}

// load is a closed-loop load: workers goroutines, each starting its next
// operation as soon as its previous one ends.
type load struct {
	workers int
	// sampleEvery times one operation in every sampleEvery (0 or 1: all of
	// them): reading the clock twice costs about 0.2 µs on a virtual machine,
	// which would weigh on sub-microsecond operations.
	sampleEvery int
}

// run performs b.N operations and measures the run's wall time, the
// process's CPU time and the sampled operations' latencies. op receives the worker's number and the
// operation's (0 to b.N-1). The first error stops the run and fails b. Only
// the run itself is timed.
func (l load) run(b *testing.B, op func(worker, i int) error) loadResult {
	b.Helper()
	b.ResetTimer()
	res := l.measure(b, b.N, op)
	b.StopTimer()
	return res
}

// measure performs n operations as run does, without touching b's timer:
// the interleaved read-path benchmarks time several runs inside one
// benchmark iteration.
func (l load) measure(b *testing.B, n int, op func(worker, i int) error) loadResult {
	b.Helper()
	every := max(l.sampleEvery, 1)
	latencies := make([]time.Duration, (n+every-1)/every)
	var (
		next     atomic.Int64
		stop     atomic.Bool
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	cpuStart := processCPU(b)
	start := time.Now()
	for w := range l.workers {
		wg.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				var err error
				if i%every == 0 {
					t0 := time.Now()
					err = op(w, i)
					latencies[i/every] = time.Since(t0)
				} else {
					err = op(w, i)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU(b) - cpuStart
	if firstErr != nil {
		b.Fatalf("operation failed: %v", firstErr)
	}
	slices.Sort(latencies)
	return loadResult{ops: n, elapsed: elapsed, cpu: cpu, latencies: latencies}
}

// perSecond is the run's throughput.
func (r loadResult) perSecond() float64 {
	return float64(r.ops) / r.elapsed.Seconds()
}

// percentile returns the nearest-rank p-th percentile latency (0 < p <= 100).
func (r loadResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(r.latencies))))
	return r.latencies[min(max(rank, 1), len(r.latencies))-1]
}

// report records the throughput in unit (e.g. "req/s"), the p50 and p99
// latencies and the process's CPU time per operation, in microseconds. On a
// shared machine the CPU time is the steadier figure: other processes slow
// the run down but hardly change what each operation costs.
func (r loadResult) report(b *testing.B, unit string) {
	b.Helper()
	b.ReportMetric(r.perSecond(), unit)
	b.ReportMetric(micros(r.percentile(50)), "p50-µs")
	b.ReportMetric(micros(r.percentile(99)), "p99-µs")
	b.ReportMetric(micros(r.cpuPerOp()), "cpu-µs/op")
}

// cpuPerOp is the process's CPU time per operation.
func (r loadResult) cpuPerOp() time.Duration {
	return r.cpu / time.Duration(r.ops)
}

// reportStatements records the SQL statements counted during the run, per
// operation; a nil counter (a store that does not count) reports nothing.
func (r loadResult) reportStatements(b *testing.B, counter *pgtest.Counter) {
	b.Helper()
	if counter != nil {
		b.ReportMetric(float64(counter.Count())/float64(r.ops), "sql/op")
	}
}

// processCPU returns the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// micros is d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
