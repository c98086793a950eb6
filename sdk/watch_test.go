package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostOf returns database.host of cfg.
func hostOf(t *testing.T, cfg *Config) string {
	t.Helper()
	h, err := cfg.String("database", "host")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestWatchDeliversTheCurrentConfigurationAndEveryChange(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL())
	w := startWatch(t, c, "billing", "prod")

	first := w.next(t)
	if first.Version != 1 || hostOf(t, first) != "db1" || first.ETag != f.etagOf("billing", "prod") || first.FromFallback {
		t.Errorf("first: %+v", first)
	}
	for i, host := range []string{"db2", "db3"} {
		f.set("billing", "prod", billing(host))
		got := w.next(t)
		if got.Version != i+2 || hostOf(t, got) != host {
			t.Errorf("change %d: version %d host %q", i, got.Version, hostOf(t, got))
		}
	}
	// Get now revalidates what Watch read last.
	if cfg, err := c.Get(context.Background(), "billing", "prod"); err != nil || cfg.Version != 3 {
		t.Fatalf("Get after Watch: %v", err)
	}
	if reqs := f.requestsTo("values"); len(reqs) != 1 || reqs[0].ifNoneMatch != f.etagOf("billing", "prod") {
		t.Errorf("Get after Watch sent If-None-Match %q, want Watch's last ETag", reqs[0].ifNoneMatch)
	}
	w.cancel()
	if err := w.end(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v, want context.Canceled", err)
	}
	reqs := f.requestsTo("watch")
	if len(reqs) != 1 || reqs[0].accept != "text/event-stream" || reqs[0].lastEventID != "" || reqs[0].apiKey != testKey {
		t.Errorf("watch requests: %+v", reqs)
	}
}

func TestWatchReconnectsWithLastEventIDAndSkipsNothing(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL())
	w := startWatch(t, c, "billing", "prod")
	w.next(t)

	// A clean end (the server shuts down) and a reconnection: nothing new.
	etag1 := f.etagOf("billing", "prod")
	f.endStreams()
	waitFor(t, "a second stream", func() bool { return len(f.requestsTo("watch")) >= 2 && f.streamsOpen.Load() == 1 })
	if got := f.requestsTo("watch")[1].lastEventID; got != strings.Trim(etag1, `"`) {
		t.Errorf("Last-Event-ID %q, want %q", got, strings.Trim(etag1, `"`))
	}

	// Killed, changed while down, back on the same address: the latest arrives.
	f.stop()
	f.set("billing", "prod", billing("db2"))
	f.set("billing", "prod", billing("db3"))
	f.restart()
	got := w.next(t)
	if got.Version != 3 || hostOf(t, got) != "db3" {
		t.Errorf("after the restart: version %d host %q, want 3 db3", got.Version, hostOf(t, got))
	}
	f.set("billing", "prod", billing("db4"))
	if got := w.next(t); got.Version != 4 {
		t.Errorf("after the restart the next change is version %d, want 4", got.Version)
	}
	select {
	case extra := <-w.configs:
		t.Errorf("an extra delivery of version %d", extra.Version)
	default:
	}
}

func TestWatchNeverDeliversAnETagTwice(t *testing.T) {
	f := newFakeServer(t)
	f.ignoreLastEventID.Store(true) // the first event is sent on every connection
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL())
	w := startWatch(t, c, "billing", "prod")
	w.next(t)
	for range 3 {
		n := len(f.requestsTo("watch"))
		f.endStreams()
		waitFor(t, "a new stream", func() bool { return len(f.requestsTo("watch")) > n && f.streamsOpen.Load() == 1 })
	}
	f.set("billing", "prod", billing("db2"))
	if got := w.next(t); got.Version != 2 {
		t.Errorf("next delivery: version %d, want 2 (version 1 again?)", got.Version)
	}
}

func TestWatchConfigsAreTheCallersOwn(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL())
	w := startWatch(t, c, "billing", "prod")
	cfg := w.next(t)
	cfg.Values["database"]["host"] = json.RawMessage(`"edited"`)
	delete(cfg.Values, "features")
	got, err := c.Get(context.Background(), "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if hostOf(t, got) != "db1" || got.Values["features"] == nil {
		t.Errorf("an edit of a delivered Config reached the client: %+v", got.Values)
	}
}

func TestWatchEndsOnPermanentErrors(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	cases := []struct {
		name, key, asset string
		code             string
	}{
		{"a wrong key", "cmk_notthekey", "billing", "INVALID_API_KEY"},
		{"an unknown asset", testKey, "nope", "ASSET_NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(f.URL(), tc.key, fast)
			if err != nil {
				t.Fatal(err)
			}
			w := startWatch(t, c, tc.asset, "prod")
			err = w.end(t)
			if errorCode(err) != tc.code {
				t.Errorf("Watch ended with %v, want %s", err, tc.code)
			}
			if strings.Contains(err.Error(), tc.key) {
				t.Errorf("the error holds the API key: %v", err)
			}
		})
	}
}

func TestWatchEndsWhenTheAssetIsDeleted(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	path := filepath.Join(t.TempDir(), "fallback")
	c := newTestClient(t, f.URL(), WithFallbackFile(path))
	w := startWatch(t, c, "billing", "prod")
	w.next(t)
	f.remove("billing", "prod")
	if err := w.end(t); !errors.Is(err, ErrDeleted) {
		t.Errorf("Watch ended with %v, want ErrDeleted", err)
	}
	if _, err := c.fallback.load("billing", "prod"); !errors.Is(err, errNoFallback) {
		t.Errorf("the deleted asset is still in the fallback file: %v", err)
	}
}

// refusals are answers of a proxy that does not stream.
var refusals = []struct {
	name   string
	handle http.HandlerFunc
}{
	{"404 page", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "not found", http.StatusNotFound) }},
	{"404 unknown route", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No such route.")
	}},
	{"405", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusMethodNotAllowed) }},
	{"502", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) }},
	{"504", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "timeout", http.StatusGatewayTimeout) }},
	{"200 text/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>buffered</html>")
	}},
	{"an event stream on which nothing arrives", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}},
	{"no answer at all", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
}

func TestWatchLongPollsWhenStreamingIsRefused(t *testing.T) {
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.watchHandler.Store(&tc.handle)
			f.set("billing", "prod", billing("db1"))
			c := newTestClient(t, f.URL(), Option(func(o *options) {
				o.pollWait = 2 * time.Second
				o.idleTimeout = 300 * time.Millisecond
			}))
			w := startWatch(t, c, "billing", "prod")
			if got := w.next(t); got.Version != 1 {
				t.Fatalf("first: version %d", got.Version)
			}
			waitFor(t, "a held long poll", func() bool {
				reqs := f.requestsTo("values")
				return len(reqs) >= 2 && reqs[len(reqs)-1].wait == "2"
			})
			f.set("billing", "prod", billing("db2"))
			if got := w.next(t); got.Version != 2 || hostOf(t, got) != "db2" {
				t.Errorf("change through long polling: version %d", got.Version)
			}
			reqs := f.requestsTo("values")
			if reqs[0].wait != "" || reqs[0].ifNoneMatch != "" {
				t.Errorf("the first poll must not wait: %+v", reqs[0])
			}
			for _, r := range reqs[1:] {
				if r.wait != "2" || r.ifNoneMatch == "" {
					t.Errorf("a later poll without wait or If-None-Match: %+v", r)
				}
			}
			if n := len(f.requestsTo("watch")); n != 1 {
				t.Errorf("%d watch requests; one refusal is enough", n)
			}
		})
	}
}

func TestWatchStreamsAgainAfterLongPolling(t *testing.T) {
	f := newFakeServer(t)
	refuse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusMethodNotAllowed) })
	f.watchHandler.Store(&refuse)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL(), Option(func(o *options) {
		o.pollWait = time.Second
		o.streamProbe = time.Second
	}))
	w := startWatch(t, c, "billing", "prod")
	w.next(t)
	f.watchHandler.Store(nil)
	waitFor(t, "a stream after polling", func() bool { return f.streamsOpen.Load() == 1 })
	if got := f.requestsTo("watch"); got[len(got)-1].lastEventID != strings.Trim(f.etagOf("billing", "prod"), `"`) {
		t.Errorf("the stream after polling did not resume: Last-Event-ID %q", got[len(got)-1].lastEventID)
	}
	f.set("billing", "prod", billing("db2"))
	if got := w.next(t); got.Version != 2 {
		t.Errorf("version %d over the stream, want 2", got.Version)
	}
}

func TestWatchKeepAlivesHoldTheStream(t *testing.T) {
	f := newFakeServer(t)
	f.keepAlive = 10 * time.Millisecond
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL(), Option(func(o *options) { o.idleTimeout = 500 * time.Millisecond }))
	w := startWatch(t, c, "billing", "prod")
	w.next(t)
	// Well past the idle timeout, with keep-alives only.
	start := time.Now()
	waitFor(t, "keep-alives", func() bool { return f.keepAlives.Load() >= 100 && time.Since(start) > time.Second })
	f.set("billing", "prod", billing("db2"))
	if got := w.next(t); got.Version != 2 {
		t.Errorf("version %d", got.Version)
	}
	if n := len(f.requestsTo("watch")); n != 1 {
		t.Errorf("%d watch requests: a stream that sends keep-alives was dropped", n)
	}
	if n := len(f.requestsTo("values")); n != 0 {
		t.Errorf("%d polls while streaming", n)
	}
}

func TestWatchHonoursRetryAfter(t *testing.T) {
	f := newFakeServer(t)
	f.watchFailures.Store(1)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL())
	w := startWatch(t, c, "billing", "prod")
	// Refused a stream, the application still gets its configuration at
	// once, from the values route.
	if got := w.next(t); got.Version != 1 || len(f.requestsTo("values")) != 1 {
		t.Errorf("first delivery: version %d after %d reads", got.Version, len(f.requestsTo("values")))
	}
	waitFor(t, "the stream", func() bool { return f.streamsOpen.Load() == 1 })
	reqs := f.requestsTo("watch")
	if len(reqs) != 2 {
		t.Fatalf("%d watch requests, want 2", len(reqs))
	}
	if reqs[1].lastEventID != strings.Trim(f.etagOf("billing", "prod"), `"`) {
		t.Errorf("the stream after the first read sent Last-Event-ID %q", reqs[1].lastEventID)
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < time.Second {
		t.Errorf("retried %s after a 503 with Retry-After: 1", gap)
	}
}

func TestWatchBacksOffAndStartsOverAfterAnEvent(t *testing.T) {
	f := newFakeServer(t)
	f.retryAfter = "0"
	f.watchFailures.Store(3)
	f.set("billing", "prod", billing("db1"))
	var mu sync.Mutex
	var drawn []int64
	c := newTestClient(t, f.URL(), WithBackoff(time.Millisecond, time.Second), Option(func(o *options) {
		o.random = func(n int64) int64 {
			mu.Lock()
			defer mu.Unlock()
			drawn = append(drawn, n-1)
			return 0
		}
	}))
	w := startWatch(t, c, "billing", "prod")
	w.next(t) // from the values route, while streams are refused
	waitFor(t, "the stream", func() bool { return f.streamsOpen.Load() == 1 })
	f.set("billing", "prod", billing("db2"))
	w.next(t) // over the stream, which then ends
	f.endStreams()
	waitFor(t, "the reconnection", func() bool { return len(f.requestsTo("watch")) == 5 && f.streamsOpen.Load() == 1 })
	mu.Lock()
	defer mu.Unlock()
	ms := int64(time.Millisecond)
	want := []int64{ms, 2 * ms, 4 * ms, ms}
	if len(drawn) != len(want) {
		t.Fatalf("backoff ceilings %v, want %v", drawn, want)
	}
	for i := range want {
		if drawn[i] != want[i] {
			t.Errorf("backoff ceilings %v, want %v (doubling, then the base after a delivered event)", drawn, want)
			break
		}
	}
}

func TestWatchUsesTheFallbackFileWhileTheServerIsDown(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	path := filepath.Join(t.TempDir(), "fallback")
	if _, err := newTestClient(t, f.URL(), WithFallbackFile(path)).Get(context.Background(), "billing", "prod"); err != nil {
		t.Fatal(err)
	}
	etag1 := f.etagOf("billing", "prod")
	f.stop()

	c := newTestClient(t, f.URL(), WithFallbackFile(path))
	w := startWatch(t, c, "billing", "prod")
	got := w.next(t)
	if !got.FromFallback || got.Version != 1 || hostOf(t, got) != "db1" {
		t.Errorf("from the fallback file: %+v", got)
	}
	f.set("billing", "prod", billing("db-prod-2"))
	f.restart()
	got = w.next(t)
	if got.FromFallback || got.Version != 2 {
		t.Errorf("once the server is back: %+v", got)
	}
	if first := f.requestsTo("watch")[0]; first.lastEventID != strings.Trim(etag1, `"`) {
		t.Errorf("the first stream sent Last-Event-ID %q, want the fallback's ETag %s", first.lastEventID, etag1)
	}
	checkFallbackFile(t, path, "s3cr3t-pw-value", "db-prod-2")
	restarted, err := newFallbackFile(path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := restarted.load("billing", "prod"); err != nil || cfg.Version != 2 {
		t.Errorf("the fallback file after the stream's event: %+v, %v", cfg, err)
	}
}

func TestWatchLeavesNothingBehind(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	before := runtime.NumGoroutine()
	c := newTestClient(t, f.URL())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	delivered := make(chan struct{}, 1)
	go func() {
		done <- c.Watch(ctx, "billing", "prod", func(*Config) { delivered <- struct{}{} })
	}()
	<-delivered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
	select {
	case <-f.streamClosed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server's stream was not closed after cancel")
	}
	c.long.CloseIdleConnections()
	c.http.CloseIdleConnections()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestWatchStartsOverAfterALongQuietStream(t *testing.T) {
	f := newFakeServer(t)
	f.keepAlive = 10 * time.Millisecond
	f.retryAfter = "0"
	f.watchFailures.Store(2)
	f.set("billing", "prod", billing("db1"))
	var mu sync.Mutex
	var drawn []int64
	c := newTestClient(t, f.URL(), WithBackoff(time.Millisecond, time.Second), Option(func(o *options) {
		o.healthyAfter = 200 * time.Millisecond
		o.random = func(n int64) int64 {
			mu.Lock()
			defer mu.Unlock()
			drawn = append(drawn, n-1)
			return 0
		}
	}))
	w := startWatch(t, c, "billing", "prod")
	w.next(t)
	// A stream with keep-alives only (the configuration did not change),
	// open for longer than healthyAfter.
	waitFor(t, "the stream", func() bool { return f.streamsOpen.Load() == 1 })
	opened := time.Now()
	waitFor(t, "a long quiet stream", func() bool { return time.Since(opened) > time.Second })
	f.endStreams()
	waitFor(t, "the reconnection", func() bool { return len(f.requestsTo("watch")) == 4 && f.streamsOpen.Load() == 1 })
	mu.Lock()
	defer mu.Unlock()
	ms := int64(time.Millisecond)
	if want := []int64{ms, 2 * ms, ms}; !slices.Equal(drawn, want) {
		t.Errorf("backoff ceilings %v, want %v", drawn, want)
	}
}

func TestWatchASlowFunctionIsNoSilentStream(t *testing.T) {
	f := newFakeServer(t)
	f.keepAlive = time.Hour
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL(), Option(func(o *options) { o.idleTimeout = 200 * time.Millisecond }))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	versions := make(chan int, 10)
	go func() {
		_ = c.Watch(ctx, "billing", "prod", func(cfg *Config) {
			if cfg.Version == 1 {
				time.Sleep(time.Second) // an application that takes its time to apply it
			}
			versions <- cfg.Version
		})
	}()
	if v := <-versions; v != 1 {
		t.Fatalf("first version %d", v)
	}
	f.set("billing", "prod", billing("db2"))
	select {
	case v := <-versions:
		if v != 2 {
			t.Errorf("version %d, want 2", v)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no second version")
	}
	if n := len(f.requestsTo("watch")); n != 1 {
		t.Errorf("%d watch requests: the stream was dropped while the function ran", n)
	}
}
