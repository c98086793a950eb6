package ops

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// valuesRoute is the route template of the resolved configuration.
const valuesRoute = "/api/v1/assets/{slug}/values"

// scrape is one answer of GET /metrics: its text and its parsed families.
type scrape struct {
	text     string
	families map[string]*dto.MetricFamily
}

// scrapeMetrics gets url (a /metrics) and parses it with the Prometheus
// text parser.
func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s\n%.500s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the Prometheus text parser refuses GET %s: %v\n%.2000s", url, err, body)
	}
	return scrape{text: string(body), families: families}
}

// sample returns the value of the metric of family name whose labels include
// labels (a histogram's sample count), and whether there is one.
func (s scrape) sample(name string, labels map[string]string) (float64, bool) {
	f := s.families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// requireAtLeast fails t unless the sample exists and is at least min.
func (s scrape) requireAtLeast(t *testing.T, name string, labels map[string]string, min float64) {
	t.Helper()
	v, ok := s.sample(name, labels)
	if !ok {
		t.Errorf("no %s%v in the scrape", name, labels)
		return
	}
	if v < min {
		t.Errorf("%s%v = %v, want at least %v", name, labels, v, min)
	}
}

// requireType fails t unless family name exists with type want.
func (s scrape) requireType(t *testing.T, name string, want dto.MetricType) {
	t.Helper()
	f := s.families[name]
	if f == nil {
		t.Errorf("no %s family in the scrape", name)
		return
	}
	if f.GetType() != want {
		t.Errorf("%s is a %s, want a %s", name, f.GetType(), want)
	}
}

// walkedAccount is what the walk through the API created: everything that
// must never appear in a label.
type walkedAccount struct {
	account
	tenantID, userID, assetSlug, keyID, keyPrefix, key, secret string
}

// walkAPI registers an account and walks the API on srv: an asset, a change
// set with a secret, an API key, reads with it (the first from the store,
// then cached, then a 304), a 404 of a missing asset and of an unknown
// route, and reads past the API key's burst limit until one answers 429.
func walkAPI(t *testing.T, srv *e2etest.Server) walkedAccount {
	t.Helper()
	w := walkedAccount{assetSlug: "metrics-probe-" + randomHex(t, 4), secret: "s3cret-" + randomHex(t, 8)}
	email := "metrics-" + randomHex(t, 6) + "@example.com"
	resp, body := srv.Do(t, http.MethodPost, apiBase+"/auth/register", map[string]string{
		"email": email, "password": "correct horse battery", "tenant_name": "Metrics " + randomHex(t, 3),
	}, nil)
	requireStatus(t, resp, body, http.StatusCreated)
	reg := decode[struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
		Tenant struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
		} `json:"tenant"`
	}](t, body)
	w.account = account{srv: srv, email: email, token: reg.Token, tenant: reg.Tenant.Slug}
	w.tenantID, w.userID = reg.Tenant.ID, reg.User.ID

	w.createAsset(t, w.assetSlug)
	w.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/"+w.assetSlug+"/environments/prod", map[string]any{
		"message": "metrics walk",
		"set": map[string]any{"database": map[string]any{
			"host":     map[string]any{"value": "db.metrics.internal"},
			"password": map[string]any{"value": w.secret, "secret": true},
		}},
	})
	created := decode[struct {
		ID     string `json:"id"`
		Key    string `json:"key"`
		Prefix string `json:"prefix"`
	}](t, w.must(t, http.StatusCreated, http.MethodPost, apiBase+"/api-keys", map[string]any{"name": "metrics-sdk"}))
	w.keyID, w.key, w.keyPrefix = created.ID, created.Key, created.Prefix
	if w.keyPrefix == "" || !strings.HasPrefix(w.key, w.keyPrefix) {
		t.Fatalf("POST /api-keys answered key %q with prefix %q", w.key, w.keyPrefix)
	}

	first, body := readWithKey(t, srv, w.key, w.assetSlug, "prod")
	requireStatus(t, first, body, http.StatusOK)
	cached, body := readWithKey(t, srv, w.key, w.assetSlug, "prod")
	requireStatus(t, cached, body, http.StatusOK)
	etag := cached.Header.Get("ETag")
	resp, body = srv.Do(t, http.MethodGet, valuesPath(w.assetSlug, "prod"), nil, map[string]string{"X-API-Key": w.key, "If-None-Match": etag})
	requireStatus(t, resp, body, http.StatusNotModified)

	resp, body = w.do(t, http.MethodGet, apiBase+"/assets/no-such-"+w.assetSlug, nil)
	requireStatus(t, resp, body, http.StatusNotFound)
	resp, body = srv.Do(t, http.MethodGet, "/no/such/route/"+w.assetSlug, nil, nil)
	requireStatus(t, resp, body, http.StatusNotFound)

	// RATE_LIMIT_API_KEY_BURST is 5/minute: the sixth read of the minute is
	// refused, and the loop's bound leaves room for a minute that turned.
	for i := 0; ; i++ {
		resp, body = readWithKey(t, srv, w.key, w.assetSlug, "prod")
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		requireStatus(t, resp, body, http.StatusOK)
		if i == 20 {
			t.Fatal("20 reads past a burst limit of 5/minute were all allowed")
		}
	}
	return w
}

// TestMetricsAfterAWalkThroughTheAPI walks the API on PostgreSQL, cuts the
// change feed's connection once, and scrapes /metrics on LISTEN_ADDR: the
// Prometheus text parser reads it, every metric family of docs/metrics.md is
// there with what the walk did, and nothing the walk created (tenant ID,
// user ID, tenant slug, asset slug, e-mail address, API key, its ID or
// prefix, a value) appears anywhere in the text.
func TestMetricsAfterAWalkThroughTheAPI(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	srv := startServer(t, e2etest.Options{Env: postgresEnv(db, newEncryptionKey(t), map[string]string{
		"RATE_LIMIT_API_KEY_BURST": "5/minute",
	})})
	w := walkAPI(t, srv)

	// One reconnection of the change feed: its connection is terminated and
	// the feed must come back live.
	p := &pair{db: db, admin: db.Admin(t)}
	pids := p.listeners(t)
	if len(pids) != 1 {
		t.Fatalf("change-feed connections %v, want the server's one", pids)
	}
	p.terminate(t, pids[0])
	var s scrape
	if !waitFor(30*time.Second, func() bool {
		s = scrapeMetrics(t, srv.URL+"/metrics")
		reconnects, _ := s.sample("configmat_change_feed_reconnects_total", nil)
		live, _ := s.sample("configmat_change_feed_live", nil)
		return reconnects >= 1 && live == 1
	}) {
		t.Fatalf("the change feed did not come back live with a reconnection counted:\n%s", grepMetrics(s.text, "configmat_change_feed"))
	}
	s = scrapeMetrics(t, srv.URL+"/metrics")

	types := map[string]dto.MetricType{
		"configmat_http_requests_total":                 dto.MetricType_COUNTER,
		"configmat_http_request_duration_seconds":       dto.MetricType_HISTOGRAM,
		"configmat_read_cache_hits_total":               dto.MetricType_COUNTER,
		"configmat_read_cache_misses_total":             dto.MetricType_COUNTER,
		"configmat_db_pool_max_open_connections":        dto.MetricType_GAUGE,
		"configmat_db_pool_open_connections":            dto.MetricType_GAUGE,
		"configmat_db_pool_in_use_connections":          dto.MetricType_GAUGE,
		"configmat_db_pool_idle_connections":            dto.MetricType_GAUGE,
		"configmat_db_pool_wait_count_total":            dto.MetricType_COUNTER,
		"configmat_db_pool_wait_duration_seconds_total": dto.MetricType_COUNTER,
		"configmat_db_pool_closed_total":                dto.MetricType_COUNTER,
		"configmat_rate_limit_denials_total":            dto.MetricType_COUNTER,
		"configmat_change_feed_live":                    dto.MetricType_GAUGE,
		"configmat_change_feed_reconnects_total":        dto.MetricType_COUNTER,
		"configmat_audit_entries_appended_total":        dto.MetricType_COUNTER,
		"configmat_watch_streams":                       dto.MetricType_GAUGE,
		"configmat_long_polls":                          dto.MetricType_GAUGE,
		"configmat_build_info":                          dto.MetricType_GAUGE,
		"go_goroutines":                                 dto.MetricType_GAUGE,
		"go_memstats_heap_inuse_bytes":                  dto.MetricType_GAUGE,
		"process_cpu_seconds_total":                     dto.MetricType_COUNTER,
		"process_resident_memory_bytes":                 dto.MetricType_GAUGE,
		"process_open_fds":                              dto.MetricType_GAUGE,
	}
	for name, typ := range types {
		s.requireType(t, name, typ)
	}

	requests := "configmat_http_requests_total"
	s.requireAtLeast(t, requests, map[string]string{"route": valuesRoute, "method": "GET", "status": "200"}, 2)
	s.requireAtLeast(t, requests, map[string]string{"route": valuesRoute, "method": "GET", "status": "304"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": valuesRoute, "method": "GET", "status": "429"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": "/api/v1/auth/register", "method": "POST", "status": "201"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": "/api/v1/assets/{slug}/environments/{env}", "method": "PATCH", "status": "200"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": "/api/v1/assets/{slug}", "method": "GET", "status": "404"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1)
	s.requireAtLeast(t, requests, map[string]string{"route": "/metrics", "method": "GET", "status": "200"}, 1)
	s.requireAtLeast(t, "configmat_http_request_duration_seconds", map[string]string{"route": valuesRoute, "method": "GET"}, 4)
	s.requireAtLeast(t, "configmat_read_cache_hits_total", map[string]string{"cache": "resolution"}, 1)
	s.requireAtLeast(t, "configmat_read_cache_misses_total", map[string]string{"cache": "resolution"}, 1)
	s.requireAtLeast(t, "configmat_read_cache_hits_total", map[string]string{"cache": "api_key"}, 1)
	s.requireAtLeast(t, "configmat_read_cache_misses_total", map[string]string{"cache": "api_key"}, 1)
	if v, _ := s.sample("configmat_db_pool_max_open_connections", nil); v != 6 {
		t.Errorf("configmat_db_pool_max_open_connections = %v, want DB_POOL_SIZE 2 + DB_MAX_OVERFLOW 4", v)
	}
	s.requireAtLeast(t, "configmat_db_pool_open_connections", nil, 1)
	s.requireAtLeast(t, "configmat_rate_limit_denials_total", map[string]string{"class": "api_key"}, 1)
	// tenant created, asset created, values changed, API key created.
	s.requireAtLeast(t, "configmat_audit_entries_appended_total", nil, 4)
	s.requireAtLeast(t, "configmat_build_info", map[string]string{"version": "dev"}, 1)

	for _, f := range s.families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() != "unmatched" && !strings.HasPrefix(l.GetValue(), "/") {
					t.Errorf("%s has route label %q: not a route template", f.GetName(), l.GetValue())
				}
			}
		}
	}
	leaks := map[string]string{
		"tenant ID": w.tenantID, "user ID": w.userID, "tenant slug": w.tenant, "asset slug": w.assetSlug,
		"e-mail address": w.email, "API key": w.key, "API key ID": w.keyID, "API key prefix": w.keyPrefix,
		"secret value": w.secret, "plain value": "db.metrics.internal", "user token": w.token,
	}
	for what, v := range leaks {
		if v == "" {
			t.Fatalf("the walk left the %s empty: the check would prove nothing", what)
		}
		if strings.Contains(s.text, v) {
			t.Errorf("the %s %q appears in GET /metrics:\n%s", what, v, grepMetrics(s.text, v))
		}
	}
}

// grepMetrics returns the lines of text that contain substr.
func grepMetrics(text, substr string) string {
	return strings.Join(linesContaining(text, substr), "\n")
}

// metricsAddrOf returns the address the server's "metrics listening" log
// line names.
func metricsAddrOf(t *testing.T, srv *e2etest.Server) string {
	t.Helper()
	for _, line := range linesContaining(srv.Logs(), "metrics listening") {
		var e struct {
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &e) == nil && e.Addr != "" {
			return e.Addr
		}
	}
	t.Fatalf("no \"metrics listening\" line with an addr in the log:\n%s", srv.Logs())
	return ""
}

// TestMetricsAddrServesMetricsApart: with METRICS_ADDR set, /metrics is
// served there (and nothing else is), /metrics on LISTEN_ADDR answers 404
// NOT_FOUND in the contract's error body, and the metrics listener closes
// with the server.
func TestMetricsAddrServesMetricsApart(t *testing.T) {
	srv := startServer(t, e2etest.Options{Env: map[string]string{
		"DEBUG": "true", "ENCRYPTION_KEY": newEncryptionKey(t), "METRICS_ADDR": "127.0.0.1:0",
	}})
	addr := metricsAddrOf(t, srv)
	if strings.HasSuffix(addr, ":0") || strings.HasSuffix(srv.URL, addr) {
		t.Fatalf("metrics listen on %s, the API on %s: want a port of their own", addr, srv.URL)
	}
	requireAlive(t, srv)

	resp, body := srv.Do(t, http.MethodGet, "/metrics", nil, nil)
	requireStatus(t, resp, body, http.StatusNotFound)
	if code := errorCode(body); code != "NOT_FOUND" || strings.Contains(string(body), "configmat_") {
		t.Errorf("GET /metrics on LISTEN_ADDR answered %s, want the contract's NOT_FOUND body", body)
	}

	s := scrapeMetrics(t, "http://"+addr+"/metrics")
	s.requireAtLeast(t, "configmat_http_requests_total", map[string]string{"route": "/health", "method": "GET", "status": "200"}, 1)
	s.requireAtLeast(t, "configmat_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1)
	s.requireAtLeast(t, "configmat_db_pool_max_open_connections", nil, 1)
	s.requireAtLeast(t, "configmat_change_feed_live", nil, 1)
	s.requireAtLeast(t, "configmat_build_info", nil, 1)
	if _, ok := s.sample("configmat_http_requests_total", map[string]string{"route": "/metrics"}); ok {
		t.Error("scrapes of METRICS_ADDR are counted as API requests")
	}
	for _, path := range []string{"/health", "/api/v1/openapi.json"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on METRICS_ADDR = %d, want 404: it serves only /metrics", path, resp.StatusCode)
		}
	}

	if code := srv.Stop(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM; log:\n%s", code, srv.Logs())
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("METRICS_ADDR %s still accepts connections after the server stopped", addr)
	}
}
