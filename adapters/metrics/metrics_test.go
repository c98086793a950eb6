package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/ports"
)

// gather returns the registry's families by name.
func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range families {
		out[f.GetName()] = f
	}
	return out
}

// labelsOf returns a metric's labels as a map.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// find returns the metric of family name whose labels include want, or nil.
func find(families map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := families[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		labels := labelsOf(m)
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// value returns a counter's or gauge's value, failing t when it is absent.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := find(families, name, labels)
	if m == nil {
		t.Fatalf("no %s%v", name, labels)
	}
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

func TestObserveRequestLabels(t *testing.T) {
	m := New(Sources{Version: "test"})
	observed := []struct {
		route, method string
		status        int
		took          time.Duration
	}{
		{"/api/v1/assets/{slug}/values", http.MethodGet, 200, 300 * time.Microsecond},
		{"/api/v1/assets/{slug}/values", http.MethodGet, 200, 2 * time.Millisecond},
		{"/api/v1/assets/{slug}/values", http.MethodGet, 304, 200 * time.Microsecond},
		{"", http.MethodGet, 404, time.Millisecond},
		{"", "BREW", 405, time.Millisecond},
		{"/health", http.MethodHead, 200, time.Millisecond},
	}
	for _, o := range observed {
		m.ObserveRequest(o.route, o.method, o.status, o.took)
	}
	f := gather(t, m)
	counts := []struct {
		route, method, status string
		want                  float64
	}{
		{"/api/v1/assets/{slug}/values", "GET", "200", 2},
		{"/api/v1/assets/{slug}/values", "GET", "304", 1},
		{"unmatched", "GET", "404", 1},
		{"unmatched", "OTHER", "405", 1},
		{"/health", "HEAD", "200", 1},
	}
	for _, c := range counts {
		if got := value(t, f, "configmat_http_requests_total", map[string]string{"route": c.route, "method": c.method, "status": c.status}); got != c.want {
			t.Errorf("requests %s %s %s = %v, want %v", c.route, c.method, c.status, got, c.want)
		}
	}
	if n := len(f["configmat_http_requests_total"].GetMetric()); n != len(counts) {
		t.Errorf("%d request series, want %d", n, len(counts))
	}
	h := find(f, "configmat_http_request_duration_seconds", map[string]string{"route": "/api/v1/assets/{slug}/values", "method": "GET"}).GetHistogram()
	if h.GetSampleCount() != 3 {
		t.Fatalf("duration samples = %d, want 3", h.GetSampleCount())
	}
	if sum := h.GetSampleSum(); sum < 0.0024 || sum > 0.0026 {
		t.Errorf("duration sum = %v s, want 0.0025", sum)
	}
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 0.0005 && b.GetCumulativeCount() != 2 {
			t.Errorf("requests under 0.5 ms = %d, want 2", b.GetCumulativeCount())
		}
	}
	for _, family := range []string{"configmat_http_requests_total", "configmat_http_request_duration_seconds"} {
		for _, metric := range f[family].GetMetric() {
			for name := range labelsOf(metric) {
				if name != "route" && name != "method" && name != "status" {
					t.Errorf("%s has label %q", family, name)
				}
			}
		}
	}
}

// TestObserveRequestAllocatesNothing: once its series exists, observing a
// request allocates nothing (it runs on every request).
func TestObserveRequestAllocatesNothing(t *testing.T) {
	m := New(Sources{})
	m.ObserveRequest("/api/v1/assets/{slug}/values", http.MethodGet, 200, time.Millisecond)
	allocs := testing.AllocsPerRun(1000, func() {
		m.ObserveRequest("/api/v1/assets/{slug}/values", http.MethodGet, 200, time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("ObserveRequest allocates %v times per call, want 0", allocs)
	}
}

// TestObserveRequestConcurrently creates and updates series from many
// goroutines at once (run with -race); no count is lost.
func TestObserveRequestConcurrently(t *testing.T) {
	m := New(Sources{})
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m.ObserveRequest(fmt.Sprintf("/route/%d", i%10), http.MethodGet, 200+w%2, time.Microsecond)
			}
		})
	}
	wg.Wait()
	var total float64
	for _, metric := range gather(t, m)["configmat_http_requests_total"].GetMetric() {
		total += metric.GetCounter().GetValue()
	}
	if total != workers*each {
		t.Errorf("counted %v requests, want %d", total, workers*each)
	}
}

// fakeLimiter answers decision or err.
type fakeLimiter struct {
	decision ports.RateDecision
	err      error
}

func (l *fakeLimiter) Take(context.Context, ports.RateClass, string) (ports.RateDecision, error) {
	return l.decision, l.err
}

func TestCountDenials(t *testing.T) {
	m := New(Sources{})
	if m.CountDenials(nil) != nil {
		t.Fatal("CountDenials(nil) should stay nil: no rate limiting")
	}
	inner := &fakeLimiter{}
	limiter := m.CountDenials(inner)
	take := func(class ports.RateClass, allowed bool, err error) {
		inner.decision, inner.err = ports.RateDecision{Allowed: allowed, Limit: 1}, err
		dec, gotErr := limiter.Take(context.Background(), class, "subject-1")
		if dec != inner.decision || !errors.Is(gotErr, err) {
			t.Fatalf("Take answered %+v, %v; want the inner limiter's %+v, %v", dec, gotErr, inner.decision, err)
		}
	}
	take(ports.RateAnonymous, false, nil)
	take(ports.RateAnonymous, false, nil)
	take(ports.RateUser, false, nil)
	take(ports.RateAPIKey, true, nil)
	take(ports.RateAPIKey, false, errors.New("redis down"))
	f := gather(t, m)
	for class, want := range map[string]float64{"anonymous": 2, "user": 1, "api_key": 0} {
		if got := value(t, f, "configmat_rate_limit_denials_total", map[string]string{"class": class}); got != want {
			t.Errorf("denials of %s = %v, want %v", class, got, want)
		}
	}
}

func TestSourcesAreReadAtEveryScrape(t *testing.T) {
	var (
		stats     cache.Stats
		live      bool
		reconnect uint64
		appended  uint64
	)
	pool := sql.DBStats{MaxOpenConnections: 30, OpenConnections: 4, InUse: 1, Idle: 3, WaitCount: 7,
		WaitDuration: 1500 * time.Millisecond, MaxIdleClosed: 2, MaxIdleTimeClosed: 0, MaxLifetimeClosed: 5}
	m := New(Sources{
		Version:        "v9.9.9",
		Cache:          func() cache.Stats { return stats },
		Pool:           func() sql.DBStats { return pool },
		FeedLive:       func() bool { return live },
		FeedReconnects: func() uint64 { return reconnect },
		AuditAppends:   func() uint64 { return appended },
		WatchStreams:   func() int { return 12 },
		LongPolls:      func() int { return 3 },
	})
	if got := value(t, gather(t, m), "configmat_change_feed_live", nil); got != 0 {
		t.Errorf("feed live = %v before it is live", got)
	}
	stats = cache.Stats{ResolutionHits: 10, ResolutionMisses: 2, APIKeyHits: 8, APIKeyMisses: 1}
	live, reconnect, appended = true, 3, 42
	f := gather(t, m)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"configmat_read_cache_hits_total", map[string]string{"cache": "resolution"}, 10},
		{"configmat_read_cache_misses_total", map[string]string{"cache": "resolution"}, 2},
		{"configmat_read_cache_hits_total", map[string]string{"cache": "api_key"}, 8},
		{"configmat_read_cache_misses_total", map[string]string{"cache": "api_key"}, 1},
		{"configmat_db_pool_max_open_connections", nil, 30},
		{"configmat_db_pool_open_connections", nil, 4},
		{"configmat_db_pool_in_use_connections", nil, 1},
		{"configmat_db_pool_idle_connections", nil, 3},
		{"configmat_db_pool_wait_count_total", nil, 7},
		{"configmat_db_pool_wait_duration_seconds_total", nil, 1.5},
		{"configmat_db_pool_closed_total", map[string]string{"reason": "max_idle"}, 2},
		{"configmat_db_pool_closed_total", map[string]string{"reason": "max_lifetime"}, 5},
		{"configmat_change_feed_live", nil, 1},
		{"configmat_change_feed_reconnects_total", nil, 3},
		{"configmat_audit_entries_appended_total", nil, 42},
		{"configmat_watch_streams", nil, 12},
		{"configmat_long_polls", nil, 3},
		{"configmat_build_info", map[string]string{"version": "v9.9.9"}, 1},
	}
	for _, w := range want {
		if got := value(t, f, w.name, w.labels); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
	for _, prefix := range []string{"go_", "process_"} {
		found := false
		for name := range f {
			found = found || strings.HasPrefix(name, prefix)
		}
		if !found {
			t.Errorf("no %s* metric: the Go and process collectors are missing", prefix)
		}
	}
}

// TestMissingSourcesAreLeftOut: a nil source adds no metric, and nothing
// fails.
func TestMissingSourcesAreLeftOut(t *testing.T) {
	f := gather(t, New(Sources{}))
	for _, name := range []string{"configmat_read_cache_hits_total", "configmat_db_pool_open_connections", "configmat_change_feed_live",
		"configmat_change_feed_reconnects_total", "configmat_audit_entries_appended_total"} {
		if f[name] != nil {
			t.Errorf("%s is exposed without its source", name)
		}
	}
}

func TestServeMux(t *testing.T) {
	m := New(Sources{Version: "v1"})
	m.ObserveRequest("/health", http.MethodGet, 200, time.Millisecond)
	srv := httptest.NewServer(m.ServeMux())
	defer srv.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	status, ctype, body := get("/metrics")
	if status != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") ||
		!strings.Contains(body, `configmat_http_requests_total{method="GET",route="/health",status="200"} 1`) {
		t.Errorf("GET /metrics = %d %s\n%.400s", status, ctype, body)
	}
	for _, path := range []string{"/", "/api/v1/health", "/metrics/extra"} {
		if status, _, _ := get(path); status != http.StatusNotFound {
			t.Errorf("GET %s on the metrics listener = %d, want 404", path, status)
		}
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := New(Sources{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("/api/v1/assets/{slug}/values", http.MethodGet, 200, 300*time.Microsecond)
		}
	})
}
