package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// sourceCollectors returns the collectors that read src at every scrape.
func sourceCollectors(src Sources) []prometheus.Collector {
	var out []prometheus.Collector
	if src.Cache != nil {
		out = append(out, newCacheCollector(src))
	}
	if src.Pool != nil {
		out = append(out, newPoolCollector(src.Pool))
	}
	if src.FeedLive != nil {
		live := src.FeedLive
		out = append(out, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "change_feed_live",
			Help: "1 while the change feed is live (the read cache in use), 0 while it is down (the cache bypassed).",
		}, func() float64 {
			if live() {
				return 1
			}
			return 0
		}))
	}
	if src.FeedReconnects != nil {
		out = append(out, counterFunc("change_feed_reconnects_total",
			"Times the change feed went live again after losing its connection.", src.FeedReconnects))
	}
	if src.AuditAppends != nil {
		out = append(out, counterFunc("audit_entries_appended_total",
			"Audit entries appended to the tenants' chains, each in the transaction of its change.", src.AuditAppends))
	}
	if src.WatchStreams != nil && src.LongPolls != nil {
		out = append(out, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "watch_streams",
			Help: "Watch streams open on this process (WATCH_MAX bounds them).",
		}, func() float64 { return float64(src.WatchStreams()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: namespace, Name: "long_polls",
				Help: "Long polls (?wait=) waiting on this process.",
			}, func() float64 { return float64(src.LongPolls()) }))
	}
	return out
}

// counterFunc is a counter of ours read from read.
func counterFunc(name, help string, read func() uint64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help},
		func() float64 { return float64(read()) })
}

// Cache labels of the read-cache counters.
const (
	cacheResolution = "resolution"
	cacheAPIKey     = "api_key"
)

// cacheCollector reads the read cache's counts once per scrape.
type cacheCollector struct {
	src          Sources
	hits, misses *prometheus.Desc
}

func newCacheCollector(src Sources) *cacheCollector {
	return &cacheCollector{
		src: src,
		hits: prometheus.NewDesc(namespace+"_read_cache_hits_total",
			"Reads answered from the in-process read cache, by cache (resolution: resolved configurations; api_key: API-key lookups).",
			[]string{"cache"}, nil),
		misses: prometheus.NewDesc(namespace+"_read_cache_misses_total",
			"Reads the read cache sent to the store: not cached, expired, or the cache bypassed while the change feed is down.",
			[]string{"cache"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
}

// Collect implements prometheus.Collector.
func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Cache()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.ResolutionHits), cacheResolution)
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.APIKeyHits), cacheAPIKey)
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.ResolutionMisses), cacheResolution)
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.APIKeyMisses), cacheAPIKey)
}

// poolCollector reads the database pool's statistics once per scrape.
type poolCollector struct {
	stats                                             func() sql.DBStats
	maxOpen, open, inUse, idle, waits, waited, closed *prometheus.Desc
}

func newPoolCollector(stats func() sql.DBStats) *poolCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_db_pool_"+name, help, labels, nil)
	}
	return &poolCollector{
		stats:   stats,
		maxOpen: desc("max_open_connections", "Most connections the pool may open (DB_POOL_SIZE + DB_MAX_OVERFLOW; 1 for the embedded store)."),
		open:    desc("open_connections", "Connections open, in use or idle."),
		inUse:   desc("in_use_connections", "Connections in use by a transaction."),
		idle:    desc("idle_connections", "Connections open and idle."),
		waits:   desc("wait_count_total", "Times a transaction waited for a free connection."),
		waited:  desc("wait_duration_seconds_total", "Time spent waiting for a free connection."),
		closed: desc("closed_total", "Connections closed by the pool, by reason: max_idle (DB_POOL_SIZE), max_idle_time, max_lifetime (DB_POOL_RECYCLE).",
			"reason"),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.waits, c.waited, c.closed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	gauge(c.maxOpen, s.MaxOpenConnections)
	gauge(c.open, s.OpenConnections)
	gauge(c.inUse, s.InUse)
	gauge(c.idle, s.Idle)
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waited, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(s.MaxIdleClosed), "max_idle")
	ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(s.MaxIdleTimeClosed), "max_idle_time")
	ch <- prometheus.MustNewConstMetric(c.closed, prometheus.CounterValue, float64(s.MaxLifetimeClosed), "max_lifetime")
}
