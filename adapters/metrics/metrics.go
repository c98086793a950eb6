package metrics

import (
	"database/sql"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/configmat/configmat/core/cache"
)

// namespace prefixes every metric of ConfigMat's own.
const namespace = "configmat"

// Sources are the counters and states other components keep, read at every
// scrape. A nil function leaves its metrics out.
type Sources struct {
	// Version is the program's version, the label of configmat_build_info.
	Version string
	// Cache returns the read cache's hit and miss counts.
	Cache func() cache.Stats
	// Pool returns the database connection pool's statistics.
	Pool func() sql.DBStats
	// FeedLive reports whether the change feed is live.
	FeedLive func() bool
	// FeedReconnects returns how often the change feed went live again after
	// it had been lost.
	FeedReconnects func() uint64
	// AuditAppends returns how many audit entries were appended.
	AuditAppends func() uint64
	// WatchStreams and LongPolls return how many watch streams are open
	// and how many long polls wait.
	WatchStreams, LongPolls func() int
}

// Metrics is the process's registry with its collectors. It is safe for
// concurrent use; the zero value is not usable: use New.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	// series holds the resolved children of requests and durations by
	// label values; it is replaced, never changed, so that readers take no
	// lock (see seriesFor).
	series   atomic.Pointer[map[seriesKey]*requestSeries]
	seriesMu sync.Mutex
	denials  denialCounters
}

// New returns the metrics of this process: its own, those read from src, and
// the Go runtime's and the process's collectors.
func New(src Sources) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time from a request's arrival to its access log line, by route template and method.",
			Buckets: durationBuckets,
		}, []string{"route", "method"}),
	}
	empty := map[seriesKey]*requestSeries{}
	m.series.Store(&empty)
	denials := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "rate_limit_denials_total",
		Help: "Requests refused with 429 RATE_LIMITED, by rate class (anonymous, user, api_key).",
	}, []string{"class"})
	m.denials = newDenialCounters(denials)
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; its labels name the running version and the Go release it was built with.",
		ConstLabels: prometheus.Labels{"version": src.Version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	m.registry.MustRegister(
		m.requests, m.durations, denials, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.registry.MustRegister(sourceCollectors(src)...)
	return m
}

// Handler serves the metrics in the Prometheus exposition formats; a
// collector that fails is left out of the answer rather than failing it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ServeMux answers GET /metrics, and 404 to any other path: the handler of
// the METRICS_ADDR listener.
func (m *Metrics) ServeMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// Gatherer is the registry, for tests that read the metrics without HTTP.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }
