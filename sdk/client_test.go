package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fast is the backoff of tests that reconnect: short, still jittered.
var fast = WithBackoff(time.Millisecond, 20*time.Millisecond)

// newTestClient returns a client of url with testKey and a fast backoff.
func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(url, testKey, append([]Option{fast}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// billing is a configuration with a secret, a number, a boolean and a duration.
func billing(host string) map[string]map[string]any {
	return map[string]map[string]any{
		"database": {"host": host, "port": 5432, "password": "s3cr3t-pw-value"},
		"features": {"new_checkout": true, "timeout": "1m30s"},
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	const key = "cmk_visible-only-if-leaked"
	cases := []struct {
		name, addr, key string
		opts            []Option
	}{
		{"no scheme", "127.0.0.1:8080", key, nil},
		{"other scheme", "ftp://example.com", key, nil},
		{"no host", "http://", key, nil},
		{"credentials in the address", "http://user:pw@example.com", key, nil},
		{"a query", "http://example.com/?a=b", key, nil},
		{"no API key", "http://example.com", "", nil},
		{"a newline in the API key", "http://example.com", key + "\r\nX-Evil: 1", nil},
		{"a space in the API key", "http://example.com", "cmk_a b", nil},
		{"no HTTP client", "http://example.com", key, []Option{WithHTTPClient(nil)}},
		{"no fallback path", "http://example.com", key, []Option{WithFallbackFile("")}},
		{"zero backoff", "http://example.com", key, []Option{WithBackoff(0, time.Second)}},
		{"max below base", "http://example.com", key, []Option{WithBackoff(time.Second, time.Millisecond)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.addr, tc.key, tc.opts...)
			if err == nil {
				t.Fatalf("New returned a client %v", c)
			}
			if strings.Contains(err.Error(), "visible-only-if-leaked") {
				t.Errorf("the error holds the API key: %v", err)
			}
		})
	}
	if _, err := New("https://example.com/configmat/", key); err != nil {
		t.Errorf("an https address with a path: %v", err)
	}
}

func TestGetReadsAndRevalidatesWithTheETag(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	c := newTestClient(t, f.URL(), WithUserAgent("billing/1.2"))
	ctx := context.Background()

	first, err := c.Get(ctx, "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if first.Asset != "billing" || first.Environment != "prod" || first.Version != 1 || first.FromFallback {
		t.Errorf("first read: %+v", first)
	}
	if first.ETag != f.etagOf("billing", "prod") {
		t.Errorf("ETag %q, want the server's %q", first.ETag, f.etagOf("billing", "prod"))
	}
	if host, err := first.String("database", "host"); err != nil || host != "db1" {
		t.Errorf("database.host = %q, %v", host, err)
	}
	// A caller's change to its copy must not reach the next answer.
	first.Values["database"]["host"] = json.RawMessage(`"changed by the caller"`)

	second, err := c.Get(ctx, "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := second.String("database", "host"); host != "db1" {
		t.Errorf("after a 304 database.host = %q, want db1 (the caller's edit leaked into the cache)", host)
	}
	// Nor an edit of a 304's answer, in place or of its maps.
	second.Values["database"]["host"][1] = 'X'
	delete(second.Values, "features")
	again, err := c.Get(ctx, "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := again.String("database", "host"); host != "db1" || again.Values["features"] == nil {
		t.Errorf("after another 304: %v (the caller's edit of a cached answer leaked)", again.Values)
	}
	f.set("billing", "prod", billing("db2"))
	third, err := c.Get(ctx, "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := third.String("database", "host"); host != "db2" || third.Version != 2 {
		t.Errorf("after a change: version %d host %q", third.Version, host)
	}

	reqs := f.requestsTo("values")
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 4", len(reqs))
	}
	wantINM := []string{"", first.ETag, first.ETag, first.ETag}
	for i, r := range reqs {
		if r.ifNoneMatch != wantINM[i] {
			t.Errorf("request %d: If-None-Match %q, want %q", i, r.ifNoneMatch, wantINM[i])
		}
		if r.apiKey != testKey || r.userAgent != "billing/1.2" || r.rawQuery != "environment=prod" {
			t.Errorf("request %d: key %t, User-Agent %q, query %q", i, r.apiKey == testKey, r.userAgent, r.rawQuery)
		}
	}
}

func TestGetErrorsCarryTheContractCode(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db1"))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("environment") {
		case "limited":
			w.Header().Set("Retry-After", "7")
			writeError(w, http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests.")
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		}
	}))
	t.Cleanup(proxy.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	cases := []struct {
		name, url, key, asset, env string
		status                     int
		code                       string
		unreachable                bool
		retryAfter                 time.Duration
	}{
		{name: "wrong key", url: f.URL(), key: "cmk_wrongwrongwrong", asset: "billing", env: "prod", status: 401, code: "INVALID_API_KEY"},
		{name: "unknown asset", url: f.URL(), key: testKey, asset: "nope", env: "prod", status: 404, code: "ASSET_NOT_FOUND"},
		{name: "rate limited", url: proxy.URL, key: testKey, asset: "billing", env: "limited", status: 429, code: "RATE_LIMITED", retryAfter: 7 * time.Second},
		{name: "a gateway's page", url: proxy.URL, key: testKey, asset: "billing", env: "prod", status: 502},
		{name: "nobody listening", url: gone.URL, key: testKey, asset: "billing", env: "prod", unreachable: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.url, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Get(context.Background(), tc.asset, tc.env)
			if err == nil {
				t.Fatalf("Get answered %+v", cfg)
			}
			if strings.Contains(err.Error(), tc.key) {
				t.Errorf("the error holds the API key: %v", err)
			}
			if got := errors.Is(err, ErrUnreachable); got != tc.unreachable {
				t.Errorf("errors.Is(%v, ErrUnreachable) = %t", err, got)
			}
			if tc.unreachable {
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("%T %v is no *Error", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.RetryAfter != tc.retryAfter {
				t.Errorf("got status %d code %q Retry-After %s, want %d %q %s", apiErr.StatusCode, apiErr.Code, apiErr.RetryAfter, tc.status, tc.code, tc.retryAfter)
			}
			if tc.code != "" && (apiErr.RequestID != "req-"+tc.code || !strings.Contains(err.Error(), tc.code)) {
				t.Errorf("request ID %q, message %q", apiErr.RequestID, err)
			}
		})
	}
}

func TestGetCanceledIsTheCallersError(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hold); srv.Close() })
	c := newTestClient(t, srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Get(ctx, "billing", "prod"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Errorf("canceled Get: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, "billing", "prod"); !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past its deadline: %v, want ErrUnreachable and DeadlineExceeded", err)
	}
}

func TestRedirectsToAnotherHostAreNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "" {
			leaked.Store(true)
		}
	}))
	t.Cleanup(other.Close)
	// 127.0.0.1 and localhost are different hosts to the client.
	target := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(redirecting.Close)

	c := newTestClient(t, redirecting.URL)
	_, err := c.Get(context.Background(), "billing", "prod")
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusFound {
		t.Errorf("Get through a redirect to another host: %v, want a 302 *Error", err)
	}
	if leaked.Load() {
		t.Error("the API key was sent to another host")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"12", 12 * time.Second},
		{"999999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range cases {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("Retry-After %q: %s, want %s", tc.header, got, tc.want)
		}
	}
}
