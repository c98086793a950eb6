package ops

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// latencyFloor is the least slow-down the latency bound tolerates: below
// it, a doubling is scheduling noise of a loaded test machine, not a wait
// on Redis (a Redis time-out is 250 ms).
const latencyFloor = 3 * time.Millisecond

// reportInterval is how often the rate limiter's circuit logs while open
// (adapters/ratelimit.DefaultReportInterval).
const reportInterval = 10 * time.Second

// limiterLogLines returns the log lines of the rate limiter's store state.
func limiterLogLines(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "rate limit store") || strings.Contains(line, "rate limiter unavailable") {
			out = append(out, line)
		}
	}
	return out
}

// medianLatency sends n requests one after the other and returns their
// median duration; each must answer want.
func medianLatency(t *testing.T, n, want int, do func() (*http.Response, []byte)) time.Duration {
	t.Helper()
	took := make([]time.Duration, n)
	for i := range took {
		started := time.Now()
		resp, body := do()
		took[i] = time.Since(started)
		requireStatus(t, resp, body, want)
	}
	slices.Sort(took)
	return took[n/2]
}

// TestRedisCircuit: with Redis killed under load, authenticated requests
// keep their latency (no request waits on the dead Redis but one probe a
// second), anonymous ones answer 503, the log has a few lines per interval
// instead of one per request, health says degraded, and when Redis is back
// the limiter says so once and anonymous requests pass again.
func TestRedisCircuit(t *testing.T) {
	const samples = 200
	rd := startOwnRedis(t)
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, map[string]string{"REDIS_URL": rd.URL,
		"RATE_LIMIT_USER": "1000000/hour", "RATE_LIMIT_API_KEY": "1000000/hour", "RATE_LIMIT_API_KEY_BURST": "1000000/minute"})})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	acct.setValue(t, "billing", "local", "database", "host", "db.internal")
	key := acct.createAPIKey(t, "sdk", "local")
	read := func() (*http.Response, []byte) { return readWithKey(t, srv, key.Key, "billing", "local") }
	list := func() (*http.Response, []byte) { return acct.do(t, http.MethodGet, apiBase+"/assets", nil) }
	anonymous := func() (*http.Response, []byte) {
		return srv.Do(t, http.MethodGet, apiBase+"/openapi.json", nil, nil)
	}

	medianLatency(t, 50, http.StatusOK, read) // warm the caches and connections
	normalRead := medianLatency(t, samples, http.StatusOK, read)
	normalList := medianLatency(t, samples, http.StatusOK, list)
	resp, body := anonymous()
	requireStatus(t, resp, body, http.StatusOK)

	rd.Kill()
	killed := time.Now()
	requests := 0
	var outageRead, outageList time.Duration
	t.Run("authenticated latency stays within 2x of normal", func(t *testing.T) {
		outageRead = medianLatency(t, samples, http.StatusOK, read)
		outageList = medianLatency(t, samples, http.StatusOK, list)
		requests += 2 * samples
		for _, m := range []struct {
			name           string
			normal, outage time.Duration
		}{
			{"API-key read of the resolved config", normalRead, outageRead},
			{"user listing the assets", normalList, outageList},
		} {
			bound := max(2*m.normal, m.normal+latencyFloor)
			t.Logf("%s: median %s with Redis up, %s with Redis killed (bound %s)", m.name, m.normal, m.outage, bound)
			if m.outage > bound {
				t.Errorf("%s: median %s with Redis killed, over %s (2x the %s with Redis up)", m.name, m.outage, bound, m.normal)
			}
		}
	})
	t.Run("anonymous requests answer 503 and health is degraded", func(t *testing.T) {
		resp, body := anonymous()
		requireStatus(t, resp, body, http.StatusServiceUnavailable)
		if code := errorCode(body); code != "SERVICE_UNAVAILABLE" {
			t.Fatalf("anonymous request with Redis killed: code %q, want SERVICE_UNAVAILABLE", code)
		}
		if h := detailedHealth(t, srv); h.Status != "degraded" || h.Checks["cache"]["status"] == "healthy" {
			t.Fatalf("/health/detailed with Redis killed reports %+v, want degraded with an unhealthy cache", h)
		}
	})
	t.Run("the log has a few lines per interval, not one per request", func(t *testing.T) {
		// Load from four clients for over one report interval.
		var wg sync.WaitGroup
		var mu sync.Mutex
		deadline := killed.Add(reportInterval + 2*time.Second)
		for c := range 4 {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					var resp *http.Response
					var body []byte
					want := http.StatusOK
					switch c {
					case 0:
						resp, body = anonymous()
						want = http.StatusServiceUnavailable
					case 1:
						resp, body = list()
					default:
						resp, body = read()
					}
					if resp.StatusCode != want {
						t.Errorf("%s %s with Redis killed: %d, want %d; %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
						return
					}
					mu.Lock()
					requests++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		outage := time.Since(killed)
		lines := limiterLogLines(srv.Logs())
		// One line when the circuit opened, one per interval.
		bound := 2 + int(outage/reportInterval)
		t.Logf("%d requests in %s of outage, %d limiter log lines", requests, outage.Round(time.Millisecond), len(lines))
		if requests < 20*bound {
			t.Fatalf("only %d requests during the outage: too few to tell one line per request from a few", requests)
		}
		if len(lines) == 0 || len(lines) > bound {
			t.Fatalf("%d limiter log lines over %s of outage, want 1 to %d:\n%s", len(lines), outage, bound, strings.Join(lines, "\n"))
		}
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "anonymous refused in the last") }) {
			t.Fatalf("no interval line with the counts after %s of outage:\n%s", outage, strings.Join(lines, "\n"))
		}
	})
	t.Run("recovery is logged once and anonymous requests pass again", func(t *testing.T) {
		rd.Restart(t)
		var resp *http.Response
		var body []byte
		if !waitFor(10*time.Second, func() bool {
			resp, body = anonymous()
			return resp.StatusCode == http.StatusOK
		}) {
			t.Fatalf("10s after Redis came back an anonymous request answers %d: %s", resp.StatusCode, body)
		}
		if h := readRateHeaders(t, resp); h.limit != 100 {
			t.Fatalf("X-RateLimit-Limit %d after the recovery, want the anonymous default 100", h.limit)
		}
		recovered := linesContaining(srv.Logs(), "rate limit store available again")
		if len(recovered) != 1 {
			t.Fatalf("%d recovery lines, want 1:\n%s", len(recovered), strings.Join(recovered, "\n"))
		}
		if !waitFor(10*time.Second, func() bool { return detailedHealth(t, srv).Status == "healthy" }) {
			t.Fatalf("/health/detailed after the recovery: %+v", detailedHealth(t, srv))
		}
	})
	requireAlive(t, srv)
	if logs := srv.Logs(); strings.Contains(logs, key.Key) || strings.Contains(logs, acct.token) {
		t.Fatal("the log contains a credential")
	}
}

// TestClientDisconnectIsNoRedisFailure: clients that hang up mid-request
// while Redis is fine never make the limiter report its store unavailable,
// and every request after them is counted in Redis as usual.
func TestClientDisconnectIsNoRedisFailure(t *testing.T) {
	rd := startOwnRedis(t)
	srv := startServer(t, e2etest.Options{Env: embeddedEnv(t, map[string]string{"REDIS_URL": rd.URL,
		"RATE_LIMIT_API_KEY_BURST": "10000/minute"})})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	acct.setValue(t, "billing", "local", "database", "host", "db.internal")
	key := acct.createAPIKey(t, "sdk", "local")

	client := &http.Client{}
	abandoned := 0
	for i := range 300 {
		// Deadlines from 0.1 to 3 ms end requests at every step, the rate
		// limiter's Redis call included.
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(100+i*10)*time.Microsecond)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+valuesPath("billing", "local"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", key.Key)
		if resp, err := client.Do(req); err != nil {
			abandoned++
		} else {
			_ = resp.Body.Close()
		}
		cancel()
	}
	t.Logf("%d of 300 requests were abandoned by their client", abandoned)
	if abandoned == 0 {
		t.Fatal("no request was abandoned: the test did not disconnect any client")
	}
	resp, body := readWithKey(t, srv, key.Key, "billing", "local")
	requireStatus(t, resp, body, http.StatusOK)
	if h := readRateHeaders(t, resp); h.limit != 10000 || h.remaining > 10000-1-int64(300-abandoned) {
		t.Fatalf("X-RateLimit-Limit %d, -Remaining %d after %d answered requests: not counted as usual", h.limit, h.remaining, 300-abandoned)
	}
	if h := detailedHealth(t, srv); h.Checks["cache"]["status"] != "healthy" {
		t.Fatalf("the cache check after client disconnects: %+v", h.Checks["cache"])
	}
	// Stopping drains the abandoned requests still in the server, so the
	// log is complete.
	if code := srv.Stop(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if lines := limiterLogLines(srv.Logs()); len(lines) > 0 {
		t.Fatalf("clients hanging up made the limiter report Redis unavailable:\n%s", strings.Join(lines, "\n"))
	}
	if logs := srv.Logs(); strings.Contains(logs, "rate limit store is unavailable") {
		t.Fatalf("a client hanging up is logged as a store failure:\n%s", strings.Join(linesContaining(logs, "rate limit store is unavailable"), "\n"))
	}
}
