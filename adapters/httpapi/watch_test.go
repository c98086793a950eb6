package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/watch"
	"github.com/configmat/configmat/test/e2etest"
)

const (
	watchPath = "/api/v1/assets/billing/values/watch?environment=prod"
	pollPath  = "/api/v1/assets/billing/values?environment=prod"
)

const watchedAsset domain.AssetID = "55555555-5555-5555-5555-555555555555"

// versioned is a fake catalog's asset whose version the test moves.
type versioned struct {
	mu      sync.Mutex
	version int
	deleted bool
}

func (v *versioned) resolve(_ domain.Actor, slug, env string) (catalog.Resolved, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.deleted {
		return catalog.Resolved{}, domain.Errorf(domain.KindAssetNotFound, "The requested asset does not exist.").WithDetail("asset_slug", slug)
	}
	return catalog.Resolved{Asset: slug, Environment: env, Version: v.version, AssetID: watchedAsset, WithSecrets: true,
		Config: map[string]map[string]json.RawMessage{"db": {"port": json.RawMessage(`5432`)}}}, nil
}

// bump moves the asset to its next version, as a committed change, and
// tells the hub.
func (v *versioned) bump(a *testAPI) {
	v.mu.Lock()
	v.version++
	v.mu.Unlock()
	a.watch.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: watchedAsset, Environment: "prod"})
}

func newWatchAPI(t *testing.T, opts ...func(*Config)) (*testAPI, *versioned, *httptest.Server) {
	t.Helper()
	a := newTestAPI(t, opts...)
	v := &versioned{version: 1}
	a.catalog.resolve = v.resolve
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return a, v, srv
}

func openStream(t *testing.T, srv *httptest.Server, lastEventID string) *e2etest.EventStream {
	t.Helper()
	headers := map[string]string{"X-API-Key": apiKeyText}
	if lastEventID != "" {
		headers["Last-Event-ID"] = lastEventID
	}
	s, err := e2etest.OpenStream(t.Context(), srv.Client(), srv.URL+watchPath, headers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// nextConfig reads up to the next event, which must be a config event.
func nextConfig(t *testing.T, s *e2etest.EventStream) e2etest.Event {
	t.Helper()
	ev, err := s.NextEvent()
	if err != nil {
		t.Fatalf("stream ended: %v", err)
	}
	if ev.Name != "config" {
		t.Fatalf("event %+v, want config", ev)
	}
	return ev
}

func version(t *testing.T, ev e2etest.Event) int {
	t.Helper()
	var body struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &body); err != nil {
		t.Fatalf("data %q: %v", ev.Data, err)
	}
	return body.Version
}

// withoutHijack serves h through a ResponseWriter that cannot be taken
// over (as behind HTTP/2), so that the handler serves streams itself.
func withoutHijack(h http.Handler) http.Handler {
	type flushWriter struct {
		http.ResponseWriter
		http.Flusher
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(flushWriter{w, w.(http.Flusher)}, r)
	})
}

func TestWatchStreamSendsCurrentThenEachChange(t *testing.T) {
	for _, mode := range []string{"connection taken over", "served by the handler"} {
		t.Run(mode, func(t *testing.T) {
			a, v, srv := newWatchAPI(t, func(c *Config) { c.WatchKeepAlive = 20 * time.Millisecond })
			if mode == "served by the handler" {
				srv.Config.Handler = withoutHijack(a.handler)
			}
			testStreamEvents(t, a, v, srv)
		})
	}
}

func testStreamEvents(t *testing.T, a *testAPI, v *versioned, srv *httptest.Server) {
	st := openStream(t, srv, "")
	if st.Response.StatusCode != http.StatusOK {
		t.Fatalf("status %d", st.Response.StatusCode)
	}
	for h, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-RateLimit-Limit": "100"} {
		if got := st.Response.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if st.Response.Header.Get(requestIDHeader) == "" {
		t.Error("no request ID")
	}
	first := nextConfig(t, st)
	poll := a.do(t, http.MethodGet, pollPath, "X-API-Key", apiKeyText)
	if first.Data != poll.Body.String() || `"`+first.ID+`"` != poll.Header().Get("ETag") || version(t, first) != 1 {
		t.Fatalf("first event %+v; the values route answers %s with ETag %s", first, poll.Body, poll.Header().Get("ETag"))
	}
	for want := 2; want <= 3; want++ {
		v.bump(a)
		if got := version(t, nextConfig(t, st)); got != want {
			t.Fatalf("version %d, want %d", got, want)
		}
	}
	// Idle: keep-alive comments.
	ev, err := st.Next()
	if err != nil || ev.Comment != "keep-alive" {
		t.Fatalf("idle stream sent %+v (%v), want a keep-alive comment", ev, err)
	}
}

func TestWatchStreamLastEventID(t *testing.T) {
	a, v, srv := newWatchAPI(t)
	current := nextConfig(t, openStream(t, srv, ""))
	st := openStream(t, srv, current.ID)
	v.bump(a)
	// Nothing before the change: the first event is version 2.
	if got := version(t, nextConfig(t, st)); got != 2 {
		t.Fatalf("first event has version %d, want 2", got)
	}
	// An ID that is not current gets the current configuration at once.
	if got := version(t, nextConfig(t, openStream(t, srv, current.ID))); got != 2 {
		t.Fatalf("version %d", got)
	}
}

func TestWatchStreamDeleted(t *testing.T) {
	a, v, srv := newWatchAPI(t)
	st := openStream(t, srv, "")
	nextConfig(t, st)
	v.mu.Lock()
	v.deleted = true
	v.mu.Unlock()
	a.watch.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: watchedAsset})
	ev, err := st.Next()
	if err != nil || ev.Name != "deleted" || ev.ID != "" || ev.Data != `{"asset":"billing"}` {
		t.Fatalf("event %+v (%v), want deleted", ev, err)
	}
	if _, err := st.Next(); err != io.EOF {
		t.Fatalf("after deleted: %v, want the end of the stream", err)
	}
}

func TestWatchStreamEnds(t *testing.T) {
	tests := []struct {
		name string
		end  func(*testAPI)
	}{
		{"the key is revoked", func(a *testAPI) {
			a.watch.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantID, APIKeyID: apiKeyID})
		}},
		{"the server shuts down", func(a *testAPI) { a.watch.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, srv := newWatchAPI(t)
			st := openStream(t, srv, "")
			nextConfig(t, st)
			tt.end(a)
			if ev, err := st.Next(); err != io.EOF {
				t.Fatalf("got %+v (%v), want the end of the stream", ev, err)
			}
		})
	}
}

func TestWatchStreamRefusals(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		setup  func(*versioned)
		status int
		code   string
	}{
		{"no environment", "/api/v1/assets/billing/values/watch", nil, http.StatusBadRequest, "VALIDATION_ERROR"},
		{"no such asset", watchPath, func(v *versioned) { v.deleted = true }, http.StatusNotFound, "ASSET_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, v, _ := newWatchAPI(t)
			if tt.setup != nil {
				tt.setup(v)
			}
			rec := a.do(t, http.MethodGet, tt.path, "X-API-Key", apiKeyText)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `"code":"`+tt.code+`"`) {
				t.Fatalf("status %d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
}

func TestWatchStreamOverWatchMax(t *testing.T) {
	var hub *watch.Hub
	a := newTestAPI(t, func(c *Config) {
		c.Watch = watchFunc(func(ctx context.Context, actor domain.Actor, slug, env string, kind watch.Kind) (*watch.Subscription, error) {
			return hub.Subscribe(ctx, actor, slug, env, kind)
		})
	})
	a.catalog.resolve = (&versioned{version: 1}).resolve
	hub = watch.New(watch.Deps{Access: fakeAccess{}, Resolutions: fakeResolutions{a.catalog}, MaxStreams: 1})
	t.Cleanup(hub.Close)
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	nextConfig(t, openStream(t, srv, ""))
	rec := a.do(t, http.MethodGet, watchPath, "X-API-Key", apiKeyText)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("status %d %s, want 503", rec.Code, rec.Body)
	}
	// A long poll is no stream.
	etag := a.do(t, http.MethodGet, pollPath, "X-API-Key", apiKeyText).Header().Get("ETag")
	if rec := a.do(t, http.MethodGet, pollPath+"&wait=1", "X-API-Key", apiKeyText, "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Fatalf("long poll beside a full hub: status %d %s", rec.Code, rec.Body)
	}
}

// watchFunc is a WatchService from a function.
type watchFunc func(ctx context.Context, actor domain.Actor, slug, env string, kind watch.Kind) (*watch.Subscription, error)

func (f watchFunc) Subscribe(ctx context.Context, actor domain.Actor, slug, env string, kind watch.Kind) (*watch.Subscription, error) {
	return f(ctx, actor, slug, env, kind)
}

func TestLongPoll(t *testing.T) {
	a, v, srv := newWatchAPI(t)
	etag := a.do(t, http.MethodGet, pollPath, "X-API-Key", apiKeyText).Header().Get("ETag")
	poll := func(query string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+pollPath+query, nil)
		req.Header.Set("X-API-Key", apiKeyText)
		req.Header.Set("If-None-Match", etag)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	t.Run("answers 304 after wait", func(t *testing.T) {
		start := time.Now()
		resp := poll("&wait=1")
		if resp.StatusCode != http.StatusNotModified || resp.Header.Get("ETag") != etag {
			t.Fatalf("status %d ETag %s", resp.StatusCode, resp.Header.Get("ETag"))
		}
		if took := time.Since(start); took < time.Second {
			t.Fatalf("answered after %v, before the second it was told to wait", took)
		}
	})
	t.Run("answers 200 when a change commits", func(t *testing.T) {
		answered := make(chan *http.Response, 1)
		go func() { answered <- poll("&wait=60") }()
		// The poll waits until the change: bump once it is subscribed.
		for a.watch.LongPolls() == 0 {
			time.Sleep(time.Millisecond)
		}
		v.bump(a)
		resp := <-answered
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"version":2`) || resp.Header.Get("ETag") == etag {
			t.Fatalf("status %d ETag %s: %s", resp.StatusCode, resp.Header.Get("ETag"), body)
		}
	})
	for _, bad := range []string{"0", "61", "x", "1.5"} {
		t.Run("refuses wait="+bad, func(t *testing.T) {
			rec := a.do(t, http.MethodGet, pollPath+"&wait="+bad, "X-API-Key", apiKeyText)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"wait"`) {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		})
	}
}

// do serves one request without a body, with the given header name/value
// pairs, and checks its answer against the contract.
func (a *testAPI) do(t *testing.T, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	return a.serve(t, newRequest(method, target, "", header...))
}
