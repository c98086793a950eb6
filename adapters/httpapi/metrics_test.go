package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// observedRequest is one call of a RequestObserver.
type observedRequest struct {
	route, method string
	status        int
}

// recordingObserver keeps every observed request.
type recordingObserver struct {
	mu   sync.Mutex
	seen []observedRequest
}

func (o *recordingObserver) ObserveRequest(route, method string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took < 0 {
		panic("negative duration")
	}
	o.seen = append(o.seen, observedRequest{route, method, status})
}

// TestObserverSeesRouteTemplates: the observer is told of each request once,
// with the route template (never the path: no slug, no query) and the status
// the access log reports; unrouted requests have no route.
func TestObserverSeesRouteTemplates(t *testing.T) {
	obs := &recordingObserver{}
	a := newTestAPI(t, func(c *Config) { c.Observer = obs })
	a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) {
		return []domain.Environment{{Name: "prod", Position: 1}}, nil
	}
	cases := []struct {
		req  *http.Request
		want observedRequest
	}{
		{newRequest(http.MethodGet, "/health", ""), observedRequest{"/health", http.MethodGet, http.StatusOK}},
		{newRequest(http.MethodHead, "/health/", ""), observedRequest{"/health", http.MethodHead, http.StatusOK}},
		{newRequest(http.MethodGet, "/api/v1/assets/billing-secret-slug", ""), observedRequest{"/api/v1/assets/{slug}", http.MethodGet, http.StatusUnauthorized}},
		{userRequest(http.MethodGet, "/api/v1/environments", ""), observedRequest{"/api/v1/environments", http.MethodGet, http.StatusOK}},
		{newRequest(http.MethodGet, "/api/v1/assets/billing/values?environment=prod", ""), observedRequest{"/api/v1/assets/{slug}/values", http.MethodGet, http.StatusUnauthorized}},
		{newRequest(http.MethodGet, "/no/such/route/tenant-x", ""), observedRequest{"", http.MethodGet, http.StatusNotFound}},
		{newRequest(http.MethodPut, "/health", ""), observedRequest{"", http.MethodPut, http.StatusMethodNotAllowed}},
	}
	for _, c := range cases {
		a.serve(t, c.req)
	}
	if len(obs.seen) != len(cases) {
		t.Fatalf("observed %d requests, want %d: %+v", len(obs.seen), len(cases), obs.seen)
	}
	for i, c := range cases {
		if obs.seen[i] != c.want {
			t.Errorf("%s %s observed as %+v, want %+v", c.req.Method, c.req.URL, obs.seen[i], c.want)
		}
	}
}

// TestMetricsRoute: with a metrics handler GET /metrics answers it for
// anyone, credentials or not, without counting against a rate limit; without
// one the path is unknown (404 NOT_FOUND in the contract's body).
func TestMetricsRoute(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte("configmat_up 1\n"))
	})
	t.Run("served", func(t *testing.T) {
		a := newTestAPI(t, func(c *Config) { c.Metrics = metrics })
		for _, r := range []*http.Request{newRequest(http.MethodGet, "/metrics", ""), userRequest(http.MethodGet, "/metrics/", "")} {
			rec := a.serve(t, r)
			if rec.Code != http.StatusOK || rec.Body.String() != "configmat_up 1\n" {
				t.Errorf("GET %s = %d %q", r.URL, rec.Code, rec.Body)
			}
			if rec.Header().Get("X-RateLimit-Limit") != "" {
				t.Errorf("GET %s carries rate-limit headers", r.URL)
			}
		}
		if calls := a.limiter.taken(); len(calls) != 0 {
			t.Errorf("GET /metrics counted against the rate limits: %v", calls)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		a := newTestAPI(t)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, newRequest(http.MethodGet, "/metrics", ""))
		if e := decodeErrorBody(t, rec); rec.Code != http.StatusNotFound || e.Code != "NOT_FOUND" {
			t.Errorf("GET /metrics without metrics = %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "configmat_") {
			t.Errorf("answer holds metrics: %s", rec.Body)
		}
	})
}
