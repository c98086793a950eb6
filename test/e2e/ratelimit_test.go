package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestRateLimit runs a server with RATE_LIMIT_ANON=3/hour on each store: the
// fourth anonymous request answers 429 RATE_LIMITED with Retry-After, the
// X-RateLimit-* headers count down, health checks stay open and a user's
// requests count against the user, not the client IP.
func TestRateLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, map[string]string{"RATE_LIMIT_ANON": "3/hour", "RATE_LIMIT_USER": "5/hour"})
		slug, email, password := unique("limited"), unique("limited")+"@example.com", st.newPassword()
		for _, args := range [][]string{
			{"tenant", "create", "--slug", slug, "--name", "Limited"},
			{"user", "create", "--email", email, "--tenant", slug, "--role", "owner"},
		} {
			if code, stdout, stderr := st.run(t, password+"\n", args...); code != 0 {
				t.Fatalf("configmat %v exited %d\n%s%s", args, code, stdout, stderr)
			}
		}

		user := login(t, st, email, password) // anonymous request 1
		wantRateHeaders(t, st.anonymous().post(t, "/api/v1/auth/login",
			map[string]string{"email": email, "password": "wrong-password-1"}).want(t, http.StatusUnauthorized), 3, 1)
		wantRateHeaders(t, st.anonymous().get(t, "/api/v1/openapi.json").want(t, http.StatusOK), 3, 0)

		limited := st.anonymous().post(t, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
		e := limited.wantError(t, http.StatusTooManyRequests, "RATE_LIMITED")
		wantRateHeaders(t, limited, 3, 0)
		retry, err := strconv.Atoi(limited.header.Get("Retry-After"))
		// The window is an hour; whole seconds rounded up may add one.
		if err != nil || retry < 1 || retry > 3601 {
			t.Errorf("Retry-After %q, want whole seconds within the hour", limited.header.Get("Retry-After"))
		}
		if e.Details == nil {
			t.Error("RATE_LIMITED without details")
		}
		st.anonymous().get(t, "/api/v1/openapi.json").wantError(t, http.StatusTooManyRequests, "RATE_LIMITED")

		for _, path := range []string{"/health", "/health/detailed", "/api/v1/health"} {
			for range 2 {
				wantNoRateLimitHeaders(t, st.anonymous().get(t, path).want(t, http.StatusOK))
			}
		}

		for i := range 5 {
			wantRateHeaders(t, user.get(t, "/api/v1/me").want(t, http.StatusOK), 5, 4-i)
		}
		user.get(t, "/api/v1/me").wantError(t, http.StatusTooManyRequests, "RATE_LIMITED")
	})
}

// wantRateHeaders checks X-RateLimit-Limit, -Remaining and -Reset (Unix
// seconds, in the window's future).
func wantRateHeaders(t *testing.T, r *response, limit, remaining int) {
	t.Helper()
	if got := r.header.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
		t.Errorf("%s: X-RateLimit-Limit %q, want %d", r.label, got, limit)
	}
	if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(remaining) {
		t.Errorf("%s: X-RateLimit-Remaining %q, want %d", r.label, got, remaining)
	}
	reset, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	now := time.Now().Unix()
	if err != nil || reset < now || reset > now+3600+5 {
		t.Errorf("%s: X-RateLimit-Reset %q is not a Unix time within the hour", r.label, r.header.Get("X-RateLimit-Reset"))
	}
}
