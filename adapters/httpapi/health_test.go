package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/configmat/configmat/api"
)

func TestHealthDetailed(t *testing.T) {
	healthy := func(context.Context) (map[string]any, bool) {
		return map[string]any{"status": "healthy", "latency_ms": 2}, true
	}
	bare := func(ok bool) HealthCheck {
		return func(context.Context) (map[string]any, bool) { return nil, ok }
	}
	blocked := func(ctx context.Context) (map[string]any, bool) {
		<-ctx.Done()
		return map[string]any{"status": "late"}, true
	}
	panicking := func(context.Context) (map[string]any, bool) { panic("dsn postgres://u:pw@db") }
	checks := func(m map[string]HealthCheck) []func(*Config) {
		return []func(*Config){func(c *Config) { c.Health, c.HealthTimeout = m, 50*time.Millisecond }}
	}
	cases := []struct {
		name   string
		health map[string]HealthCheck
		status int
		want   string
	}{
		{
			name:   "all healthy",
			health: map[string]HealthCheck{"database": healthy, "cache": bare(true), "encryption": healthy},
			status: http.StatusOK,
			want: `{"status":"healthy","version":"1.2.3","timestamp":"2025-01-02T03:04:05Z","checks":{
				"database":{"status":"healthy","latency_ms":2},"cache":{"status":"healthy"},"encryption":{"status":"healthy","latency_ms":2}}}`,
		},
		{
			name:   "one unhealthy check degrades",
			health: map[string]HealthCheck{"database": bare(false), "cache": healthy, "encryption": healthy},
			status: http.StatusServiceUnavailable,
			want: `{"status":"degraded","version":"1.2.3","timestamp":"2025-01-02T03:04:05Z","checks":{
				"database":{"status":"unhealthy"},"cache":{"status":"healthy","latency_ms":2},"encryption":{"status":"healthy","latency_ms":2}}}`,
		},
		{
			name:   "a missing check degrades",
			health: map[string]HealthCheck{"database": healthy, "cache": healthy},
			status: http.StatusServiceUnavailable,
			want: `{"status":"degraded","version":"1.2.3","timestamp":"2025-01-02T03:04:05Z","checks":{
				"database":{"status":"healthy","latency_ms":2},"cache":{"status":"healthy","latency_ms":2},"encryption":{"status":"not_configured"}}}`,
		},
		{
			name:   "a panicking check is unhealthy and says nothing",
			health: map[string]HealthCheck{"database": panicking, "cache": healthy, "encryption": healthy},
			status: http.StatusServiceUnavailable,
			want: `{"status":"degraded","version":"1.2.3","timestamp":"2025-01-02T03:04:05Z","checks":{
				"database":{"status":"unhealthy"},"cache":{"status":"healthy","latency_ms":2},"encryption":{"status":"healthy","latency_ms":2}}}`,
		},
		{
			name:   "a check that outlives the request times out",
			health: map[string]HealthCheck{"database": blocked, "cache": healthy, "encryption": healthy},
			status: http.StatusServiceUnavailable,
			want: `{"status":"degraded","version":"1.2.3","timestamp":"2025-01-02T03:04:05Z","checks":{
				"database":{"status":"timeout"},"cache":{"status":"healthy","latency_ms":2},"encryption":{"status":"healthy","latency_ms":2}}}`,
		},
	}
	for _, tc := range cases {
		for _, path := range []string{"/health/detailed", "/api/v1/health/detailed"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				a := newTestAPI(t, checks(tc.health)...)
				rec := a.serve(t, newRequest("GET", path, ""))
				if rec.Code != tc.status {
					t.Fatalf("status = %d, want %d", rec.Code, tc.status)
				}
				assertJSON(t, rec.Body.Bytes(), tc.want)
			})
		}
	}
}

func TestHealthCheckStatusMapIsNotMutated(t *testing.T) {
	shared := map[string]any{"backend": "memory"}
	a := newTestAPI(t, func(c *Config) {
		c.Health = map[string]HealthCheck{"cache": func(context.Context) (map[string]any, bool) { return shared, true }}
	})
	a.serve(t, newRequest("GET", "/health/detailed", ""))
	if _, ok := shared["status"]; ok {
		t.Errorf("the check's own map was changed: %v", shared)
	}
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
		want []byte
	}{
		{"the configured document", []byte(`{"openapi":"3.0.3"}`), []byte(`{"openapi":"3.0.3"}`)},
		{"the embedded document by default", nil, api.OpenAPIJSON},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, func(c *Config) { c.OpenAPI = tc.doc })
			rec := a.serve(t, newRequest("GET", "/api/v1/openapi.json", ""))
			if rec.Code != http.StatusOK || rec.Body.String() != string(tc.want) || rec.Header().Get("Content-Type") != contentTypeJSON {
				t.Errorf("answer = %d %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			var v map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Errorf("not JSON: %v", err)
			}
		})
	}
}

func TestHeadOnHealthChecksOnly(t *testing.T) {
	cases := []struct {
		path   string
		status int
	}{
		{"/health", http.StatusOK},
		{"/api/v1/health/detailed", http.StatusOK},
		{"/api/v1/assets", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			a := newTestAPI(t)
			srv := httptest.NewServer(a.handler)
			defer srv.Close()
			resp, err := http.Head(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("HEAD %s = %d, want %d", tc.path, resp.StatusCode, tc.status)
			}
		})
	}
}
