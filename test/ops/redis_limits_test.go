package ops

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// TestSharedRedisLimitAcrossProcesses: two server processes with one
// REDIS_URL enforce one anonymous limit together.
func TestSharedRedisLimitAcrossProcesses(t *testing.T) {
	const limit, requests = 10, 30
	redisURL := sharedRedisURL(t)
	env := map[string]string{"REDIS_URL": redisURL, "RATE_LIMIT_ANON": "10/hour"}
	servers := []*e2etest.Server{
		startServer(t, e2etest.Options{Env: embeddedEnv(t, env)}),
		startServer(t, e2etest.Options{Env: embeddedEnv(t, env)}),
	}
	client := loopbackClient(t)
	counts := map[int]int{}
	refusedBy := map[int]int{}
	for i := range requests {
		srv := servers[i%2]
		resp, body := getFrom(t, client, srv.URL+apiBase+"/openapi.json")
		counts[resp.StatusCode]++
		if i < limit {
			requireStatus(t, resp, body, http.StatusOK)
			// The remaining count runs down across both processes.
			if h := readRateHeaders(t, resp); h.limit != limit || h.remaining != int64(limit-1-i) {
				t.Fatalf("request %d (server %d): X-RateLimit-Limit %d, -Remaining %d; want %d and %d",
					i+1, i%2, h.limit, h.remaining, limit, limit-1-i)
			}
			continue
		}
		requireRateLimited(t, resp, body, 3600)
		refusedBy[i%2]++
	}
	if counts[http.StatusOK] != limit || counts[http.StatusTooManyRequests] != requests-limit {
		t.Fatalf("statuses %v, want exactly %d successes and %d refusals", counts, limit, requests-limit)
	}
	if refusedBy[0] == 0 || refusedBy[1] == 0 {
		t.Fatalf("refusals per server %v: both must enforce the shared limit", refusedBy)
	}
}

// TestRedisOutage: when Redis dies under a running server, authenticated
// requests are let through and logged (fail open), anonymous ones answer 503
// (fail closed), health answers, and the process survives without a panic.
func TestRedisOutage(t *testing.T) {
	rd := startOwnRedis(t)
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, map[string]string{"REDIS_URL": rd.URL})})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	acct.setValue(t, "billing", "local", "database", "host", "db.internal")
	key := acct.createAPIKey(t, "sdk", "local")

	type request struct {
		name string
		do   func() (*http.Response, []byte)
		// up and down are the statuses with Redis running and killed.
		up, down int
		// downCode is the error code expected after the kill.
		downCode string
	}
	requests := []request{
		{"API key reads the resolved config", func() (*http.Response, []byte) {
			return readWithKey(t, srv, key.Key, "billing", "local")
		}, http.StatusOK, http.StatusOK, ""},
		{"user lists assets", func() (*http.Response, []byte) {
			return acct.do(t, http.MethodGet, apiBase+"/assets", nil)
		}, http.StatusOK, http.StatusOK, ""},
		{"user changes a value", func() (*http.Response, []byte) {
			return acct.do(t, http.MethodPatch, apiBase+"/assets/billing/environments/local", map[string]any{
				"set": map[string]any{"features": map[string]any{"flag": map[string]any{"value": true}}},
			})
		}, http.StatusOK, http.StatusOK, ""},
		{"anonymous reads the OpenAPI document", func() (*http.Response, []byte) {
			return srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, nil)
		}, http.StatusOK, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
		{"anonymous login", func() (*http.Response, []byte) {
			return srv.Do(t, http.MethodPost, apiBase+"/auth/login",
				map[string]string{"email": acct.email, "password": "correct horse battery"}, nil)
		}, http.StatusOK, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE"},
		{"liveness", func() (*http.Response, []byte) {
			return srv.Do(t, http.MethodGet, "/health", nil, nil)
		}, http.StatusOK, http.StatusOK, ""},
	}
	for _, rq := range requests {
		resp, body := rq.do()
		if resp.StatusCode != rq.up {
			t.Fatalf("with Redis up, %s: status %d, want %d; body %s", rq.name, resp.StatusCode, rq.up, body)
		}
	}

	rd.Kill()
	t.Run("authenticated requests pass and anonymous ones answer 503", func(t *testing.T) {
		var slowest time.Duration
		for round := range 2 {
			for _, rq := range requests {
				started := time.Now()
				resp, body := rq.do()
				slowest = max(slowest, time.Since(started))
				if resp.StatusCode != rq.down {
					t.Fatalf("with Redis killed (round %d), %s: status %d, want %d; body %s", round+1, rq.name, resp.StatusCode, rq.down, body)
				}
				if rq.downCode != "" && errorCode(body) != rq.downCode {
					t.Fatalf("with Redis killed, %s: code %q, want %s; body %s", rq.name, errorCode(body), rq.downCode, body)
				}
			}
		}
		t.Logf("slowest request with Redis killed: %s", slowest)
	})
	t.Run("the detailed health reports the cache unhealthy", func(t *testing.T) {
		if h := detailedHealth(t, srv); h.Status != "degraded" || h.Checks["cache"]["status"] == "healthy" {
			t.Fatalf("/health/detailed with Redis killed reports %+v, want degraded with an unhealthy cache", h)
		}
	})
	t.Run("the process lives and logs an error without a panic", func(t *testing.T) {
		requireAlive(t, srv)
		logs := srv.Logs()
		requireNoPanic(t, logs)
		entries, _ := logEntries(logs)
		errorLines := 0
		for _, e := range entries {
			if e.Level == "error" {
				errorLines++
			}
		}
		if errorLines == 0 {
			t.Fatalf("no error line in the log after Redis failed:\n%s", logs)
		}
		if strings.Contains(logs, key.Key) || strings.Contains(logs, acct.token) {
			t.Fatal("the log contains a credential")
		}
	})
	t.Run("the log stays JSON", func(t *testing.T) {
		if _, other := logEntries(srv.Logs()); len(other) > 0 {
			t.Fatalf("with LOG_FORMAT=json (the default) the log has %d lines that are not JSON, e.g. %q", len(other), other[0])
		}
	})
}
