package bench

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/adapters/logging"
	"github.com/configmat/configmat/adapters/metrics"
	"github.com/configmat/configmat/api"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// The asset the read path serves: 41 keys (two secrets), about 1.8 KB of
// JSON, the configuration of issue 10's measurement.
const (
	readPathSlug = "web-api"
	readPathKeys = 41
)

// readPathFixture is a tenant with an asset and an API key, read through the
// core cached and fed as cmd/configmat wires it.
type readPathFixture struct {
	store  feedStore
	kek    *keys.KEK
	stack  *cachedStack
	owner  domain.Actor
	asset  domain.Asset
	apiKey string
}

// newReadPathFixture seeds store, then starts the cached core over it. The
// feed starts after the seeding commits, so that none of their
// notifications can arrive later and empty the warmed cache.
func newReadPathFixture(tb testing.TB, store feedStore) *readPathFixture {
	tb.Helper()
	kek := newKEK(tb)
	setup := newCore(tb, store, kek)
	owner := newTenant(tb, setup)
	asset := newAsset(tb, setup, owner, readPathSlug, readPathKeys)
	key, _ := newAPIKey(tb, setup, owner)
	return &readPathFixture{store: store, kek: kek, stack: newCachedStack(tb, store, kek), owner: owner, asset: asset, apiKey: key}
}

// serve starts the API with limiter as cmd/configmat's handler() builds it
// with the default settings (the production logger: JSON at info, one access
// line per request, here written to io.Discard; the ETag key derived from the
// key-encryption key; health checks, the OpenAPI document, no trusted
// proxies; the metrics: the request observer, the rate-limit denial counter
// and GET /metrics on the same listener) on a TCP listener on 127.0.0.1; it
// is closed when tb ends. Keep it in step with that function.
func (f *readPathFixture) serve(tb testing.TB, limiter ports.RateLimiter) *httptest.Server {
	tb.Helper()
	return f.serveAPI(tb, limiter, f.newMetrics())
}

// newMetrics builds the metrics as cmd/configmat does, over the cache's,
// the pool's and the audit log's counters.
func (f *readPathFixture) newMetrics() *metrics.Metrics {
	src := metrics.Sources{
		Version:        "bench",
		Cache:          f.stack.cache.Stats,
		FeedLive:       f.stack.cache.Live,
		FeedReconnects: func() uint64 { return 0 },
		AuditAppends:   f.stack.core.AuditLog.Appended,
	}
	if pool, ok := f.store.(interface{ Stats() sql.DBStats }); ok {
		src.Pool = pool.Stats
	}
	return metrics.New(src)
}

// serveAPI is serve with the metrics m, or none when m is nil (what
// BenchmarkReadPathMetrics compares against).
func (f *readPathFixture) serveAPI(tb testing.TB, limiter ports.RateLimiter, m *metrics.Metrics) *httptest.Server {
	tb.Helper()
	return f.serveCore(tb, f.stack.core, limiter, m)
}

// serveCore is serveAPI over the core c.
func (f *readPathFixture) serveCore(tb testing.TB, c *core.Core, limiter ports.RateLimiter, m *metrics.Metrics) *httptest.Server {
	tb.Helper()
	logger, err := logging.New(logging.Config{Level: "info", Format: "json", Out: io.Discard})
	if err != nil {
		tb.Fatalf("logger: %v", err)
	}
	healthy := func(context.Context) (map[string]any, bool) { return map[string]any{}, true }
	cfg := httpapi.Config{
		Catalog:   c.Catalog,
		Identity:  c.Identity,
		Audit:     c.Audit,
		Watch:     c.Watch,
		Limiter:   limiter,
		Logger:    logger,
		AccessLog: logging.Lines(logger),
		Health: map[string]httpapi.HealthCheck{
			"database": healthy, "cache": healthy, "encryption": healthy,
		},
		Version: "bench",
		OpenAPI: api.OpenAPIJSON,

		RateLimitIPv6Prefix: httpapi.DefaultIPv6Prefix,
		ETagKey:             f.kek.ETagKey(),
	}
	if m != nil {
		cfg.Limiter = m.CountDenials(limiter)
		cfg.Observer = m
		cfg.Metrics = m.Handler()
	}
	return serveTCP(tb, httpapi.New(cfg))
}

// readPath is the path of the asset's resolved configuration.
const readPath = "/api/v1/assets/" + readPathSlug + "/values?environment=" + benchEnvironment

// serveTCP serves h on 127.0.0.1 with the production server's timeouts,
// until tb ends.
func serveTCP(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config = httpapi.NewServer(srv.Listener.Addr().String(), h)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// bareHandler is the ceiling of net/http on this machine: behind the same
// API-key check as the API (identity's AuthenticateAPIKey, served by the read
// cache), it answers every request with body, its length and etag, or a 304
// when If-None-Match is etag, and does nothing else.
func (f *readPathFixture) bareHandler(body []byte, etag string) http.Handler {
	identity := f.stack.core.Identity
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := identity.AuthenticateAPIKey(r.Context(), r.Header.Get("X-API-Key")); err != nil {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		h := w.Header()
		h.Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		_, _ = w.Write(body)
	})
}

// change commits a change to the asset through the cached core, waits until
// the change feed has delivered it too, and returns the new version.
func (f *readPathFixture) change(t *testing.T) int {
	t.Helper()
	f.stack.drainDelivered()
	v, err := f.stack.core.Catalog.ApplyChangeSet(t.Context(), f.owner, readPathSlug, benchEnvironment, benchChange(1))
	if err != nil {
		t.Fatalf("ApplyChangeSet: %v", err)
	}
	f.stack.awaitDelivered(t, f.asset.ID)
	return v.Version
}
