package sdke2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/sdk"
)

// watcher runs one Watch and keeps what it delivered.
type watcher struct {
	cancel context.CancelFunc
	done   chan error

	mu       sync.Mutex
	versions []int
	last     *sdk.Config
}

// watch runs c.Watch of asset in prod until t ends.
func watch(t *testing.T, c *sdk.Client, asset string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- c.Watch(ctx, asset, "prod", func(cfg *sdk.Config) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.versions = append(w.versions, cfg.Version)
			w.last = cfg
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			t.Error("Watch did not return after its context was canceled")
		}
	})
	return w
}

// latest returns the last configuration delivered, or nil.
func (w *watcher) latest() *sdk.Config {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// delivered returns the versions delivered so far, in order.
func (w *watcher) delivered() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.versions)
}

// has reports whether version v (or a later one) was delivered.
func (w *watcher) has(v int) bool {
	last := w.latest()
	return last != nil && last.Version >= v
}

// waitVersion waits until version v (or a later one) was delivered, or
// Watch ended, and returns the last configuration.
func (w *watcher) waitVersion(t *testing.T, v int) *sdk.Config {
	t.Helper()
	waitFor(t, "version "+strconv.Itoa(v), func() bool {
		select {
		case err := <-w.done:
			w.done <- err
			t.Fatalf("Watch ended with %v before version %d", err, v)
		default:
		}
		return w.has(v)
	})
	return w.latest()
}

// end waits for Watch to return and returns its error.
func (w *watcher) end(t *testing.T) error {
	t.Helper()
	select {
	case err := <-w.done:
		w.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Watch did not end")
	}
	return nil
}

// hostOf returns database.host.
func hostOf(t *testing.T, cfg *sdk.Config) string {
	t.Helper()
	h, err := cfg.String("database", "host")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestWatchSurvivesAKilledServer kills the server under a watcher (no
// stream ends cleanly), changes the configuration twice through another
// process while it is down, starts it again on the same address, and then
// changes it once more: the watcher gets the latest version at its
// reconnection and the next one after it, and nothing twice. A clean
// restart (SIGTERM) without a change delivers nothing.
func TestWatchSurvivesAKilledServer(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		c, err := sdk.New(s.URL(), fx.key, sdk.WithBackoff(50*time.Millisecond, time.Second))
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, c, fx.asset)
		w.waitVersion(t, 1)
		v2 := fx.setHost(s.URL(), "db2")
		w.waitVersion(t, v2)

		s.kill()
		var v4 int
		s.beside(func(url string) {
			fx.setHost(url, "db3")
			v4 = fx.setHost(url, "db4")
		})
		s.start()
		cfg := w.waitVersion(t, v4)
		if cfg.Version != v4 || hostOf(t, cfg) != "db4" || cfg.FromFallback {
			t.Errorf("after the restart: version %d host %q fallback %t, want %d db4", cfg.Version, hostOf(t, cfg), cfg.FromFallback, v4)
		}
		v5 := fx.setHost(s.URL(), "db5")
		cfg = w.waitVersion(t, v5)
		if hostOf(t, cfg) != "db5" {
			t.Errorf("the change after the restart: host %q", hostOf(t, cfg))
		}

		// A clean restart without a change: the watcher resumes with
		// Last-Event-ID and gets nothing until the next change.
		s.stop()
		s.start()
		v6 := fx.setHost(s.URL(), "db6")
		w.waitVersion(t, v6)
		if got, want := w.delivered(), []int{1, v2, v4, v5, v6}; !slices.Equal(got, want) {
			t.Errorf("versions delivered %v, want %v", got, want)
		}
		if pw, err := cfg.String("database", "password"); err != nil || pw != fx.secret {
			t.Errorf("the secret over the stream: %v", err)
		}
	})
}

// TestGetAnswersFromTheFallbackFileWhileTheServerIsDown reads with a
// fallback file, kills the server, and reads again with a new client of the
// same key and file: Get (and the start of Watch) answer from the file,
// which has mode 0600 and holds no value in plaintext.
func TestGetAnswersFromTheFallbackFileWhileTheServerIsDown(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		v2 := fx.setHost(s.URL(), "db-fallback-host")
		path := filepath.Join(t.TempDir(), "configmat.fallback")
		ctx := context.Background()

		online, err := sdk.New(s.URL(), fx.key, sdk.WithFallbackFile(path))
		if err != nil {
			t.Fatal(err)
		}
		read, err := online.Get(ctx, fx.asset, "prod")
		if err != nil {
			t.Fatal(err)
		}
		if read.FromFallback || read.Version != v2 {
			t.Fatalf("online read: %+v", read)
		}
		s.kill()

		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("fallback file mode %o, want 600", mode)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for what, text := range map[string]string{"the secret": fx.secret, "a plain value": "db-fallback-host", "the API key": fx.key, "the asset": fx.asset} {
			if bytes.Contains(data, []byte(text)) {
				t.Errorf("the fallback file holds %s in plaintext", what)
			}
		}

		c, err := sdk.New(s.URL(), fx.key, sdk.WithFallbackFile(path))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := c.Get(ctx, fx.asset, "prod")
		if err != nil {
			t.Fatalf("Get with the server down and a fallback file: %v", err)
		}
		if !cfg.FromFallback || cfg.Version != v2 || cfg.ETag != read.ETag || hostOf(t, cfg) != "db-fallback-host" {
			t.Errorf("from the fallback file: %+v", cfg)
		}
		if pw, err := cfg.String("database", "password"); err != nil || pw != fx.secret {
			t.Errorf("the secret from the fallback file: %v", err)
		}
		w := watch(t, c, fx.asset)
		if got := w.waitVersion(t, v2); !got.FromFallback {
			t.Errorf("Watch with the server down: %+v", got)
		}

		without, err := sdk.New(s.URL(), fx.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := without.Get(ctx, fx.asset, "prod"); !errors.Is(err, sdk.ErrUnreachable) {
			t.Errorf("Get with the server down and no fallback file: %v, want ErrUnreachable", err)
		} else if strings.Contains(err.Error(), fx.key) {
			t.Errorf("the error holds the API key: %v", err)
		}
	})
}

// TestReconnectionsAreSpreadOut puts 100 watchers (default backoff) behind a
// TCP proxy that records when connections reach the server, kills the
// server, changes the configuration through another process and starts the
// server again: the watchers' reconnections to it are spread over at least
// a second, and every watcher gets the change. Canceled, every watcher's
// connection closes.
func TestReconnectionsAreSpreadOut(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		const n = 100
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		proxy := startProxy(t, s.addr)
		watchers := make([]*watcher, n)
		for i := range watchers {
			c, err := sdk.New(proxy.URL(), fx.key)
			if err != nil {
				t.Fatal(err)
			}
			watchers[i] = watch(t, c, fx.asset)
		}
		waitFor(t, "every watcher's first version", func() bool {
			for _, w := range watchers {
				if !w.has(1) {
					return false
				}
			}
			return proxy.openConns() == n
		})

		s.kill()
		var v2 int
		s.beside(func(url string) { v2 = fx.setHost(url, "db2") })
		restart := time.Now()
		s.start()
		waitFor(t, "every watcher's change made while the server was down", func() bool {
			for _, w := range watchers {
				if !w.has(v2) {
					return false
				}
			}
			return true
		})
		arrivals := proxy.reachedSince(restart)
		if len(arrivals) < n {
			t.Fatalf("%d connections reached the restarted server, want at least %d", len(arrivals), n)
		}
		first, last := slices.MinFunc(arrivals, time.Time.Compare), slices.MaxFunc(arrivals, time.Time.Compare)
		spread := last.Sub(first)
		t.Logf("%d reconnections reached the restarted server over %s", len(arrivals), spread)
		if spread < time.Second {
			t.Errorf("%d reconnections arrived within %s of each other, want a spread of at least 1s (full jitter)", len(arrivals), spread)
		}
		for i, w := range watchers {
			if got := w.delivered(); !slices.Equal(got, []int{1, v2}) {
				t.Errorf("watcher %d delivered %v, want [1 %d]", i, got, v2)
			}
		}

		for _, w := range watchers {
			w.cancel()
		}
		for _, w := range watchers {
			if err := w.end(t); !errors.Is(err, context.Canceled) {
				t.Errorf("Watch returned %v, want context.Canceled", err)
			}
		}
		waitFor(t, "every stream's connection to close", func() bool { return proxy.openConns() == 0 })
	})
}

// TestWatchLongPollsBehindAProxyThatRefusesStreams puts a reverse proxy
// that answers 502 to the watch route in front of the server: Watch reads
// through long polls of the values route, and a change arrives while a poll
// is held.
func TestWatchLongPollsBehindAProxyThatRefusesStreams(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		target, err := url.Parse(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		forward := httputil.NewSingleHostReverseProxy(target)
		var mu sync.Mutex
		var waits []string
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/values/watch") {
				http.Error(w, "streaming is not allowed here", http.StatusBadGateway)
				return
			}
			mu.Lock()
			waits = append(waits, r.URL.Query().Get("wait"))
			mu.Unlock()
			forward.ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		held := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(waits) > 0 && waits[len(waits)-1] != ""
		}

		c, err := sdk.New(front.URL, fx.key)
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, c, fx.asset)
		w.waitVersion(t, 1)
		waitFor(t, "a held long poll", held)
		v2 := fx.setHost(s.URL(), "db2")
		if cfg := w.waitVersion(t, v2); hostOf(t, cfg) != "db2" {
			t.Errorf("through long polling: host %q", hostOf(t, cfg))
		}
		if got := w.delivered(); !slices.Equal(got, []int{1, v2}) {
			t.Errorf("versions delivered %v, want [1 %d]", got, v2)
		}
	})
}

// TestWatchEndsWhenTheAssetIsDeleted deletes the watched asset: Watch
// returns an error matching ErrDeleted.
func TestWatchEndsWhenTheAssetIsDeleted(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		c, err := sdk.New(s.URL(), fx.key)
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, c, fx.asset)
		w.waitVersion(t, 1)
		call(t, s.URL(), http.MethodDelete, "/api/v1/assets/"+fx.asset, fx.token, nil, http.StatusNoContent, nil)
		if err := w.end(t); !errors.Is(err, sdk.ErrDeleted) {
			t.Errorf("Watch of a deleted asset returned %v, want ErrDeleted", err)
		}
	})
}

// TestWatchEndsWhenTheKeyIsRevoked revokes the watcher's API key: the
// server ends the stream and refuses the reconnection, and Watch returns
// the contract's INVALID_API_KEY.
func TestWatchEndsWhenTheKeyIsRevoked(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		c, err := sdk.New(s.URL(), fx.key, sdk.WithBackoff(50*time.Millisecond, time.Second))
		if err != nil {
			t.Fatal(err)
		}
		w := watch(t, c, fx.asset)
		w.waitVersion(t, 1)
		call(t, s.URL(), http.MethodDelete, "/api/v1/api-keys/"+fx.keyID, fx.token, nil, http.StatusNoContent, nil)
		err = w.end(t)
		var apiErr *sdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "INVALID_API_KEY" {
			t.Errorf("Watch with a revoked key returned %v, want 401 INVALID_API_KEY", err)
		}
	})
}

// TestErrorsCarryTheContractCode reads with a wrong key, a key of another
// environment, an unknown asset and an unknown environment: Get and Watch
// return an *sdk.Error with the contract's status and code, never holding
// the key.
func TestErrorsCarryTheContractCode(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		s := newServer(t, kind, nil)
		fx := newFixture(t, s.URL())
		cases := []struct {
			name, key, asset, env string
			status                int
			code                  string
		}{
			{"a wrong key", "cmk_" + strings.Repeat("a", 46), fx.asset, "prod", http.StatusUnauthorized, "INVALID_API_KEY"},
			{"a key of another environment", fx.stageKey, fx.asset, "prod", http.StatusForbidden, "PERMISSION_DENIED"},
			{"an unknown asset", fx.key, "no-such-asset", "prod", http.StatusNotFound, "ASSET_NOT_FOUND"},
			{"an unknown environment", fx.key, fx.asset, "nowhere", http.StatusNotFound, "ENVIRONMENT_NOT_FOUND"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c, err := sdk.New(s.URL(), tc.key)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_, getErr := c.Get(ctx, tc.asset, tc.env)
				watchErr := c.Watch(ctx, tc.asset, tc.env, func(cfg *sdk.Config) {
					t.Errorf("Watch delivered version %d", cfg.Version)
				})
				for call, err := range map[string]error{"Get": getErr, "Watch": watchErr} {
					var apiErr *sdk.Error
					if !errors.As(err, &apiErr) {
						t.Errorf("%s: %T %v is no *sdk.Error", call, err, err)
						continue
					}
					if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.RequestID == "" {
						t.Errorf("%s: %d %s (request ID %q), want %d %s", call, apiErr.StatusCode, apiErr.Code, apiErr.RequestID, tc.status, tc.code)
					}
					if strings.Contains(err.Error(), tc.key) {
						t.Errorf("%s: the error holds the API key: %v", call, err)
					}
				}
			})
		}
	})
}
