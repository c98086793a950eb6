package sdk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testKey is the API key the fake server accepts.
const testKey = "cmk_testkeytestkeytestkeytestkeytestkeytestAbCdEf"

// fakeServer speaks the contract's values and watch routes for one API key,
// from state the test changes. It can end its streams as a shutting-down
// server does, go down and come back on the same address, and record what
// its clients sent.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server
	// addr is the listening address, kept across restarts.
	addr string
	// keepAlive is the interval of the streams' keep-alive comments.
	keepAlive time.Duration
	// watchHandler, when set, answers the watch route instead (a proxy).
	watchHandler atomic.Pointer[http.HandlerFunc]
	// ignoreLastEventID sends the first event even when Last-Event-ID is current.
	ignoreLastEventID atomic.Bool
	// watchFailures answers that many watch requests with 503 and Retry-After.
	watchFailures atomic.Int32
	retryAfter    string

	mu       sync.Mutex
	values   map[string]*fakeValues
	changed  chan struct{} // closed and replaced on every change
	shutdown chan struct{} // closed and replaced to end every stream
	requests []fakeRequest

	streamsOpen  atomic.Int32
	keepAlives   atomic.Int32
	streamClosed chan struct{}
}

// fakeValues is one asset and environment.
type fakeValues struct {
	version int
	config  map[string]map[string]any
	deleted bool
}

// fakeRequest is what one request carried.
type fakeRequest struct {
	at                                time.Time
	route                             string // "values" or "watch"
	apiKey, ifNoneMatch, lastEventID  string
	wait, userAgent, accept, rawQuery string
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{
		t:            t,
		keepAlive:    time.Second,
		retryAfter:   "1",
		values:       map[string]*fakeValues{},
		changed:      make(chan struct{}),
		shutdown:     make(chan struct{}),
		streamClosed: make(chan struct{}, 1000),
	}
	f.start(nil)
	t.Cleanup(f.stop)
	return f
}

// start serves on ln, or on a new loopback port when ln is nil.
func (f *fakeServer) start(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/assets/{slug}/values", f.serveValues)
	mux.HandleFunc("GET /api/v1/assets/{slug}/values/watch", f.serveWatch)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such route.")
	})
	f.srv = httptest.NewUnstartedServer(mux)
	if ln != nil {
		_ = f.srv.Listener.Close()
		f.srv.Listener = ln
	}
	f.srv.Start()
	f.addr = f.srv.Listener.Addr().String()
}

// URL is the server's base URL.
func (f *fakeServer) URL() string { return "http://" + f.addr }

// stop closes the server and every connection, as a killed process.
func (f *fakeServer) stop() {
	if f.srv != nil {
		f.srv.CloseClientConnections()
		f.srv.Close()
		f.srv = nil
	}
}

// restart starts the server again on the same address.
func (f *fakeServer) restart() {
	f.t.Helper()
	var ln net.Listener
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ln, err = net.Listen("tcp", f.addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // the port is released asynchronously
	}
	if err != nil {
		f.t.Fatalf("listen again on %s: %v", f.addr, err)
	}
	f.start(ln)
}

// set gives asset in env the next version with config.
func (f *fakeServer) set(asset, env string, config map[string]map[string]any) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.values[asset+"/"+env]
	if v == nil || v.deleted {
		v = &fakeValues{}
		f.values[asset+"/"+env] = v
	}
	v.version++
	v.config = config
	f.broadcast()
	return v.version
}

// remove deletes asset (in every environment).
func (f *fakeServer) remove(asset, env string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values[asset+"/"+env].deleted = true
	f.broadcast()
}

func (f *fakeServer) broadcast() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// endStreams ends every open stream cleanly, as a server shutting down.
func (f *fakeServer) endStreams() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.shutdown)
	f.shutdown = make(chan struct{})
}

// current returns the body and ETag of asset in env, and the channels that
// say the next change and the next shutdown.
func (f *fakeServer) current(asset, env string) (body []byte, etag string, found, deleted bool, changed, shutdown chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.values[asset+"/"+env]
	changed, shutdown = f.changed, f.shutdown
	if v == nil {
		return nil, "", false, false, changed, shutdown
	}
	if v.deleted {
		return nil, "", false, true, changed, shutdown
	}
	body, err := json.Marshal(map[string]any{"asset": asset, "environment": env, "version": v.version, "config": v.config})
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(body)
	return body, `"` + hex.EncodeToString(sum[:]) + `"`, true, false, changed, shutdown
}

// etagOf returns the current ETag of asset in env.
func (f *fakeServer) etagOf(asset, env string) string {
	_, etag, _, _, _, _ := f.current(asset, env)
	return etag
}

func (f *fakeServer) record(route string, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{
		at: time.Now(), route: route, apiKey: r.Header.Get("X-API-Key"),
		ifNoneMatch: r.Header.Get("If-None-Match"), lastEventID: r.Header.Get("Last-Event-ID"),
		wait: r.URL.Query().Get("wait"), userAgent: r.Header.Get("User-Agent"),
		accept: r.Header.Get("Accept"), rawQuery: r.URL.RawQuery,
	})
}

// requestsTo returns the requests of one route so far.
func (f *fakeServer) requestsTo(route string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.route == route {
			out = append(out, r)
		}
	}
	return out
}

// authorize answers the contract's errors for a bad key, a missing
// environment or a missing asset, and reports whether the request may go on.
func (f *fakeServer) authorize(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Header.Get("X-API-Key") == "":
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_REQUIRED", "Authentication is required.")
	case r.Header.Get("X-API-Key") != testKey:
		writeError(w, http.StatusUnauthorized, "INVALID_API_KEY", "The API key is not valid.")
	case r.URL.Query().Get("environment") == "":
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "environment is required.")
	default:
		_, _, found, _, _, _ := f.current(r.PathValue("slug"), r.URL.Query().Get("environment"))
		if found {
			return true
		}
		writeError(w, http.StatusNotFound, "ASSET_NOT_FOUND", "The requested asset does not exist.")
	}
	return false
}

func (f *fakeServer) serveValues(w http.ResponseWriter, r *http.Request) {
	f.record("values", r)
	if !f.authorize(w, r) {
		return
	}
	asset, env := r.PathValue("slug"), r.URL.Query().Get("environment")
	body, etag, _, _, changed, _ := f.current(asset, env)
	if r.Header.Get("If-None-Match") == etag {
		wait, _ := strconv.Atoi(r.URL.Query().Get("wait"))
		timer := time.NewTimer(time.Duration(wait) * time.Second)
		defer timer.Stop()
		for wait > 0 && r.Header.Get("If-None-Match") == etag {
			select {
			case <-changed:
			case <-timer.C:
				wait = 0
				continue
			case <-r.Context().Done():
				return
			}
			body, etag, _, _, changed, _ = f.current(asset, env)
		}
		if r.Header.Get("If-None-Match") == etag {
			w.Header().Set("ETag", etag)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (f *fakeServer) serveWatch(w http.ResponseWriter, r *http.Request) {
	f.record("watch", r)
	if h := f.watchHandler.Load(); h != nil {
		(*h)(w, r)
		return
	}
	if f.watchFailures.Add(-1) >= 0 {
		w.Header().Set("Retry-After", f.retryAfter)
		writeError(w, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "Too many watch streams.")
		return
	}
	if !f.authorize(w, r) {
		return
	}
	f.streamsOpen.Add(1)
	defer func() {
		f.streamsOpen.Add(-1)
		f.streamClosed <- struct{}{}
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	flusher.Flush()
	asset, env := r.PathValue("slug"), r.URL.Query().Get("environment")
	sent := ""
	if !f.ignoreLastEventID.Load() {
		sent = `"` + r.Header.Get("Last-Event-ID") + `"`
	}
	keepAlive := time.NewTicker(f.keepAlive)
	defer keepAlive.Stop()
	for {
		body, etag, _, deleted, changed, shutdown := f.current(asset, env)
		if deleted {
			fmt.Fprintf(w, "event: deleted\ndata: {\"asset\":%q}\n\n", asset)
			flusher.Flush()
			return
		}
		if etag != sent {
			fmt.Fprintf(w, "event: config\nid: %s\ndata: %s\n\n", etag[1:len(etag)-1], body)
			flusher.Flush()
			sent = etag
		}
		select {
		case <-changed:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			flusher.Flush()
			f.keepAlives.Add(1)
		case <-shutdown:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// writeError writes the contract's error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-ID", "req-"+code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": message, "details": map[string]any{}, "request_id": "req-" + code,
		"documentation_url": "https://docs.configmat.io/errors/" + code,
	}})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// watchResult is what a Watch run gave.
type watchResult struct {
	configs chan *Config
	done    chan error
	cancel  context.CancelFunc
}

// startWatch runs client.Watch in a goroutine, collecting each delivered
// configuration; it is canceled and awaited when t ends.
func startWatch(t *testing.T, client *Client, asset, env string) *watchResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := &watchResult{configs: make(chan *Config, 100), done: make(chan error, 1), cancel: cancel}
	go func() { res.done <- client.Watch(ctx, asset, env, func(c *Config) { res.configs <- c }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-res.done:
		case <-time.After(20 * time.Second):
			t.Error("Watch did not return after its context was canceled")
		}
	})
	return res
}

// next returns the next delivered configuration.
func (r *watchResult) next(t *testing.T) *Config {
	t.Helper()
	select {
	case c := <-r.configs:
		return c
	case err := <-r.done:
		t.Fatalf("Watch returned %v before the next configuration", err)
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for a configuration")
	}
	return nil
}

// end returns Watch's error.
func (r *watchResult) end(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case c := <-r.configs:
		t.Fatalf("Watch delivered version %d instead of ending", c.Version)
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for Watch to end")
	}
	return nil
}

// errorCode returns err's contract code, or "".
func errorCode(err error) string {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return ""
}
