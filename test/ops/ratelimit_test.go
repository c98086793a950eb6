package ops

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// rateHeaders are the X-RateLimit-* headers of one response.
type rateHeaders struct {
	limit, remaining, reset int64
}

// readRateHeaders parses the three X-RateLimit-* headers, failing t when one
// is missing or not an integer.
func readRateHeaders(t *testing.T, resp *http.Response) rateHeaders {
	t.Helper()
	var h rateHeaders
	for name, dst := range map[string]*int64{
		"X-RateLimit-Limit":     &h.limit,
		"X-RateLimit-Remaining": &h.remaining,
		"X-RateLimit-Reset":     &h.reset,
	} {
		v := resp.Header.Get(name)
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%s %s: header %s = %q, want an integer", resp.Request.Method, resp.Request.URL.Path, name, v)
		}
		*dst = n
	}
	return h
}

// requireRateLimited fails t unless the response is the contract's 429 with
// no request left and a Retry-After of 1 to window+1 seconds: the server
// rounds the window's end up to a whole second, so a wait may exceed the
// window by one second.
func requireRateLimited(t *testing.T, resp *http.Response, body []byte, window int64) {
	t.Helper()
	requireStatus(t, resp, body, http.StatusTooManyRequests)
	if code := errorCode(body); code != "RATE_LIMITED" {
		t.Fatalf("429 with code %q, want RATE_LIMITED; body %s", code, body)
	}
	retry, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64)
	if err != nil || retry < 1 || retry > window+1 {
		t.Fatalf("Retry-After = %q, want whole seconds from 1 to %d", resp.Header.Get("Retry-After"), window+1)
	}
	if h := readRateHeaders(t, resp); h.remaining != 0 {
		t.Fatalf("429 with X-RateLimit-Remaining %d, want 0", h.remaining)
	}
}

// TestAnonymousDefaultLimit: with RATE_LIMIT_ANON at its default of
// 100/hour, the 101st anonymous request of a client answers 429 while the
// health checks still answer.
func TestAnonymousDefaultLimit(t *testing.T) {
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, nil)})
	wrongLogin := map[string]string{"email": "nobody@example.com", "password": "not the password"}
	for i := 1; i <= 100; i++ {
		// Every tenth request is a failed login: every anonymous route
		// counts against the same per-IP limit.
		var resp *http.Response
		var body []byte
		want := http.StatusOK
		if i%10 == 0 {
			resp, body = srv.Do(t, http.MethodPost, apiBase+"/auth/login", wrongLogin, nil)
			want = http.StatusUnauthorized
		} else {
			resp, body = srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, nil)
		}
		requireStatus(t, resp, body, want)
		h := readRateHeaders(t, resp)
		if h.limit != 100 || h.remaining != int64(100-i) {
			t.Fatalf("request %d: X-RateLimit-Limit %d, -Remaining %d; want 100 and %d", i, h.limit, h.remaining, 100-i)
		}
	}
	resp, body := srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, nil)
	requireRateLimited(t, resp, body, 3600)
	resp, body = srv.Do(t, http.MethodPost, apiBase+"/auth/login", wrongLogin, nil)
	requireRateLimited(t, resp, body, 3600)

	for _, path := range []string{"/health", "/health/detailed", apiBase + "/health"} {
		for range 3 {
			resp, body := srv.Do(t, http.MethodGet, path, nil, nil)
			requireStatus(t, resp, body, http.StatusOK)
		}
	}
}

// TestAPIKeyBurst: an API key's requests count against its burst limit; a
// key over it answers 429 while another key of the same tenant is unaffected.
func TestAPIKeyBurst(t *testing.T) {
	tests := []struct {
		name     string
		burst    string // RATE_LIMIT_API_KEY_BURST; "" keeps the default 100/minute
		requests int
		allowed  int
	}{
		{name: "a burst of 1000/minute lets 150 requests through", burst: "1000/minute", requests: 150, allowed: 150},
		{name: "the default burst of 100/minute refuses the 101st request", requests: 101, allowed: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.burst != "" {
				env["RATE_LIMIT_API_KEY_BURST"] = tt.burst
			}
			srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, env)})
			acct := registerAccount(t, srv)
			acct.createAsset(t, "billing")
			acct.setValue(t, "billing", "local", "database", "host", "db.internal")
			first := acct.createAPIKey(t, "first", "local")
			second := acct.createAPIKey(t, "second", "local")

			start := time.Now()
			passed := 0
			var last *http.Response
			var lastBody []byte
			for i := 1; i <= tt.requests; i++ {
				last, lastBody = readWithKey(t, srv, first.Key, "billing", "local")
				if last.StatusCode != http.StatusOK {
					break
				}
				passed++
			}
			if elapsed := time.Since(start); elapsed > 50*time.Second {
				t.Fatalf("%d requests took %s: too slow to stay inside one burst window", tt.requests, elapsed)
			}
			if passed != tt.allowed {
				t.Fatalf("%d requests passed before status %d (%s), want %d", passed, last.StatusCode, lastBody, tt.allowed)
			}
			if tt.allowed == tt.requests {
				return
			}
			requireRateLimited(t, last, lastBody, 60)

			resp, body := readWithKey(t, srv, second.Key, "billing", "local")
			requireStatus(t, resp, body, http.StatusOK)
			resp, body = readWithKey(t, srv, first.Key, "billing", "local")
			requireRateLimited(t, resp, body, 60)
		})
	}
}

// TestUserResponsesCarryRateLimitHeaders: every response to a user request,
// errors included, carries the three headers of the user's own counter.
func TestUserResponsesCarryRateLimitHeaders(t *testing.T) {
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, nil)})
	acct := registerAccount(t, srv)
	requests := []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodGet, apiBase + "/me", nil, http.StatusOK},
		{http.MethodPost, apiBase + "/assets", map[string]string{"slug": "billing", "name": "Billing"}, http.StatusCreated},
		{http.MethodGet, apiBase + "/assets", nil, http.StatusOK},
		{http.MethodGet, apiBase + "/assets/missing", nil, http.StatusNotFound},
		{http.MethodPost, apiBase + "/assets", map[string]string{"slug": "Not A Slug"}, http.StatusBadRequest},
		{http.MethodGet, valuesPath("billing", "local"), nil, http.StatusOK},
	}
	for i, rq := range requests {
		resp, body := acct.do(t, rq.method, rq.path, rq.body)
		requireStatus(t, resp, body, rq.want)
		h := readRateHeaders(t, resp)
		now := time.Now().Unix()
		if h.limit != 1000 || h.remaining != int64(999-i) {
			t.Errorf("%s %s: X-RateLimit-Limit %d, -Remaining %d; want 1000 and %d", rq.method, rq.path, h.limit, h.remaining, 999-i)
		}
		if h.reset < now || h.reset > now+3600+2 {
			t.Errorf("%s %s: X-RateLimit-Reset %d, want Unix seconds within the hour after %d", rq.method, rq.path, h.reset, now)
		}
	}
}

// TestForwardedForFromUntrustedPeer: X-Forwarded-For is believed only from a
// trusted proxy, so a client cannot pick a fresh bucket by spoofing it.
func TestForwardedForFromUntrustedPeer(t *testing.T) {
	const limit, requests = 5, 8
	tests := []struct {
		name           string
		trustedProxies string
		allowed        int
	}{
		{name: "no trusted proxies", allowed: limit},
		{name: "the peer is not among the trusted proxies", trustedProxies: "10.0.0.0/8,192.168.0.0/16", allowed: limit},
		// Control: when the peer is trusted, the same headers do name
		// distinct clients, so the cases above can fail.
		{name: "the peer is a trusted proxy", trustedProxies: "127.0.0.0/8", allowed: requests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"RATE_LIMIT_ANON": strconv.Itoa(limit) + "/hour"}
			if tt.trustedProxies != "" {
				env["TRUSTED_PROXIES"] = tt.trustedProxies
			}
			srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, env)})
			allowed := 0
			for i := 1; i <= requests; i++ {
				xff := "203.0.113." + strconv.Itoa(i)
				resp, _ := srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, map[string]string{"X-Forwarded-For": xff})
				if resp.StatusCode == http.StatusOK {
					allowed++
				}
			}
			if allowed != tt.allowed {
				t.Fatalf("%d of %d requests with distinct X-Forwarded-For passed, want %d", allowed, requests, tt.allowed)
			}
		})
	}
}
