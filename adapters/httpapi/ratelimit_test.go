package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/ports"
)

// peerIP is httptest's socket peer.
const peerIP = "192.0.2.1"

func TestRateLimitSubjects(t *testing.T) {
	loginOK := func(a *testAPI) {
		a.identity.login = func(string, string) (identity.IssuedToken, error) {
			return identity.IssuedToken{Token: "cmt_" + strings.Repeat("z", 46), ExpiresAt: testNow}, nil
		}
	}
	envsOK := func(a *testAPI) {
		a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
	}
	cases := []struct {
		name   string
		req    func() *http.Request
		setup  func(*testAPI)
		status int
		want   []takeCall
	}{
		{"a user counts per user", get("/api/v1/environments"), envsOK, http.StatusOK, []takeCall{{ports.RateUser, string(userID)}}},
		{
			"an API key counts per key",
			func() *http.Request {
				return newRequest("GET", "/api/v1/assets/billing/values?environment=prod", "", "X-API-Key", apiKeyText)
			},
			resolveAs, http.StatusOK, []takeCall{{ports.RateAPIKey, string(apiKeyID)}},
		},
		{"login counts per IP", anon("POST", "/api/v1/auth/login", `{"email":"a@b.co","password":"p"}`), loginOK, http.StatusOK, []takeCall{{ports.RateAnonymous, peerIP}}},
		{"the document counts per IP", anon("GET", "/api/v1/openapi.json", ""), nil, http.StatusOK, []takeCall{{ports.RateAnonymous, peerIP}}},
		{
			"a failed authentication counts per IP",
			func() *http.Request {
				return newRequest("GET", "/api/v1/environments", "", "Authorization", "Bearer cmt_forged")
			},
			nil, http.StatusUnauthorized, []takeCall{{ports.RateAnonymous, peerIP}},
		},
		{"missing credentials count per IP", anon("GET", "/api/v1/me", ""), nil, http.StatusUnauthorized, []takeCall{{ports.RateAnonymous, peerIP}}},
		{
			"a token refused for the tenant counts per IP",
			get("/api/v1/environments", "X-Tenant", otherTenant), nil, http.StatusNotFound, []takeCall{{ports.RateAnonymous, peerIP}},
		},
		{"health is never limited", anon("GET", "/health", ""), nil, http.StatusOK, nil},
		{"detailed health is never limited", anon("GET", "/api/v1/health/detailed", ""), nil, http.StatusOK, nil},
		{"an unknown route is not counted", anon("GET", "/api/v1/nothing", ""), nil, http.StatusNotFound, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			if tc.setup != nil {
				tc.setup(a)
			}
			rec := a.serve(t, tc.req())
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if got := a.limiter.taken(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Take calls = %v, want %v", got, tc.want)
			}
			if limited := rec.Header().Get("X-RateLimit-Limit") != ""; limited != (tc.want != nil) {
				t.Errorf("X-RateLimit-Limit present = %v, want %v", limited, tc.want != nil)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	a := newTestAPI(t)
	a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
	rec := a.serve(t, userRequest("GET", "/api/v1/environments", ""))
	want := map[string]string{
		"X-RateLimit-Limit":     "100",
		"X-RateLimit-Remaining": "99",
		"X-RateLimit-Reset":     strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10),
		"Retry-After":           "",
	}
	for h, v := range want {
		if got := rec.Header().Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
}

func TestOverTheLimit(t *testing.T) {
	cases := []struct {
		name       string
		reset      time.Time
		remaining  int64
		retryAfter string
	}{
		{"a wait rounds up to whole seconds", testNow.Add(1500 * time.Millisecond), 0, "2"},
		{"an exact wait", testNow.Add(30 * time.Second), 0, "30"},
		{"a reset already past waits one second", testNow.Add(-time.Second), 0, "1"},
		{"a negative remaining shows 0", testNow.Add(time.Minute), -3, "60"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			a.limiter.decision = ports.RateDecision{Limit: 10, Remaining: tc.remaining, Reset: tc.reset, Allowed: false}
			rec := a.serve(t, userRequest("GET", "/api/v1/environments", ""))
			if rec.Code != http.StatusTooManyRequests || decodeErrorBody(t, rec).Code != "RATE_LIMITED" {
				t.Fatalf("answer = %d %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
			if got := rec.Header().Get("X-RateLimit-Remaining"); got != "0" {
				t.Errorf("X-RateLimit-Remaining = %q, want 0", got)
			}
			if got := rec.Header().Get("X-RateLimit-Reset"); got != strconv.FormatInt(tc.reset.Unix(), 10) {
				t.Errorf("X-RateLimit-Reset = %q", got)
			}
		})
	}
}

func TestRateLimiterStoreFailure(t *testing.T) {
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"a user passes", get("/api/v1/environments"), http.StatusOK, ""},
		{
			"an API key passes",
			func() *http.Request {
				return newRequest("GET", "/api/v1/assets/billing/values?environment=prod", "", "X-API-Key", apiKeyText)
			},
			http.StatusOK, "",
		},
		{"an anonymous request is refused", anon("POST", "/api/v1/auth/login", `{"email":"a@b.co","password":"p"}`), http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
		{
			"a failed authentication is refused",
			func() *http.Request {
				return newRequest("GET", "/api/v1/environments", "", "Authorization", "Bearer cmt_forged")
			},
			http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t)
			a.limiter.err = errors.New("redis: connection refused")
			a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
			resolveAs(a)
			rec := a.serve(t, tc.req())
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.code != "" && decodeErrorBody(t, rec).Code != tc.code {
				t.Errorf("code = %s", decodeErrorBody(t, rec).Code)
			}
			if rec.Header().Get("X-RateLimit-Limit") != "" {
				t.Errorf("rate headers without a decision")
			}
			// The limiter reports its store's state; a request only notes
			// the failure at debug level, with its request ID.
			logged := false
			for _, e := range a.logs.AllEntries() {
				err, _ := e.Data["error"].(error)
				if err == nil || !strings.Contains(err.Error(), "redis") {
					continue
				}
				if e.Level != logrus.DebugLevel {
					t.Errorf("store failure logged per request at %s: %s", e.Level, e.Message)
				}
				logged = logged || e.Data["request_id"] != nil
			}
			if !logged {
				t.Errorf("store failure not noted with the request ID")
			}
		})
	}
}

// TestRateLimiterEndedRequest: a request whose client went away in the
// limiter is not taken for a store failure: no "unavailable" line, the
// authenticated request is not let through on that account (the handler
// never runs), nothing is written, and the access log says 499.
func TestRateLimiterEndedRequest(t *testing.T) {
	a := newTestAPI(t)
	served := false
	a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { served = true; return nil, nil }
	ctx, cancel := context.WithCancel(context.Background())
	a.limiter.err = fmt.Errorf("the request ended: %w", context.Canceled)
	a.limiter.onTake = cancel
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, userRequest("GET", "/api/v1/environments", "").WithContext(ctx))
	if served || rec.Body.Len() != 0 {
		t.Fatalf("a request whose context ended in the limiter was served: %d %s", rec.Code, rec.Body)
	}
	for _, e := range a.logs.AllEntries() {
		if strings.Contains(e.Message, "rate limiter unavailable") {
			t.Errorf("a canceled request logged %q", e.Message)
		}
	}
	lines := a.logsWith("request")
	if len(lines) != 1 || lines[0].Data["status"] != statusClientClosedRequest {
		t.Fatalf("access log lines %v, want one with status 499", lines)
	}
}

func TestNoLimiter(t *testing.T) {
	a := newTestAPI(t, func(c *Config) { c.Limiter = nil })
	a.catalog.listEnvironments = func(domain.Actor) ([]domain.Environment, error) { return nil, nil }
	rec := a.serve(t, userRequest("GET", "/api/v1/environments", ""))
	if rec.Code != http.StatusOK || rec.Header().Get("X-RateLimit-Limit") != "" {
		t.Errorf("answer = %d with headers %v", rec.Code, rec.Header())
	}
}

func TestForwardedForAndRateLimitKeys(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name   string
		peer   string
		xff    string
		wantIP string
	}{
		{"a spoofed header from an untrusted peer is ignored", "198.51.100.7:4000", "203.0.113.9", "198.51.100.7"},
		{"a trusted proxy's header is believed", "10.1.2.3:4000", "203.0.113.9", "203.0.113.9"},
		{"a client's own spoofed hops are skipped", "10.1.2.3:4000", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, func(c *Config) { c.TrustedProxies = proxies })
			r := newRequest("GET", "/api/v1/openapi.json", "", "X-Forwarded-For", tc.xff)
			r.RemoteAddr = tc.peer
			a.serve(t, r)
			if got := a.limiter.taken(); len(got) != 1 || got[0].key != tc.wantIP {
				t.Errorf("Take calls = %v, want key %s", got, tc.wantIP)
			}
			if access := a.logsWith("request"); len(access) != 1 || access[0].Data["client_ip"] != tc.wantIP {
				t.Errorf("client_ip not logged as %s", tc.wantIP)
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	cases := []struct {
		wait time.Duration
		want int64
	}{{0, 1}, {-time.Hour, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {time.Hour, 3600}}
	for _, tc := range cases {
		if got := retryAfterSeconds(tc.wait); got != tc.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", tc.wait, got, tc.want)
		}
	}
}
