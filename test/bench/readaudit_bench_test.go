package bench

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/configmat/configmat/core/audit"
)

// BenchmarkReadPathReads measures what the read audit costs the read path:
// the API (in-process limiter, no metrics) over a cached core without read
// counting, and over one with it, its counts flushed every
// audit.ReadFlushInterval meanwhile as serve flushes them; a second copy of
// the first is the control, whose "cost" is the run's noise. Interleaved as
// BenchmarkReadPathMetrics: metricsRounds rounds, the order rotating; it
// reports with-cost-% and control-cost-% of throughput and CPU per read.
func BenchmarkReadPathReads(b *testing.B) {
	store, _ := openPostgres(b)
	fx := newReadPathFixture(b, store)
	without := newCachedStackWith(b, store, fx.kek, true)
	control := newCachedStackWith(b, store, fx.kek, true)
	counting := fx.stack.core
	ctx, stop := context.WithCancel(context.Background())
	flushed := make(chan error, 1)
	go func() {
		flushed <- counting.Reads.Run(ctx, audit.ReadFlushInterval,
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 10*time.Second)
			},
			func(err error) { b.Errorf("flushing the read counts: %v", err) })
	}()
	b.Cleanup(func() {
		stop()
		if err := <-flushed; err != nil {
			b.Errorf("the last flush of the read counts: %v", err)
		}
	})
	servers := map[string]*httptest.Server{
		"without": fx.serveCore(b, without.core, memoryLimiter(b), nil),
		"with":    fx.serveCore(b, counting, memoryLimiter(b), nil),
		"control": fx.serveCore(b, control.core, memoryLimiter(b), nil),
	}
	compareVariants(b, servers, fx.apiKey, variantHooks{
		done: func(b *testing.B, results map[string]*variantResult) { reportMetricsCost(b, results, 0) },
	})
}
