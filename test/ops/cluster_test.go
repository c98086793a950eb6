package ops

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// propagationBound is how soon a change committed through one process must
// be served by another.
const propagationBound = time.Second

// servedVersion reads the resolved config of billing/local with key and
// returns its version, failing t on any status but 200.
func servedVersion(t *testing.T, srv *e2etest.Server, key string) int {
	t.Helper()
	resp, body := readWithKey(t, srv, key, "billing", "local")
	requireStatus(t, resp, body, http.StatusOK)
	return decode[resolved](t, body).Version
}

// awaitVersion polls the reader until it serves version want and returns how
// long after since that was; it fails t when that takes longer than
// propagationBound, or when the reader serves a newer version. since is
// taken before the change's request, so the bound includes the request.
func awaitVersion(t *testing.T, srv *e2etest.Server, key string, want int, since time.Time) time.Duration {
	t.Helper()
	for {
		got := servedVersion(t, srv, key)
		elapsed := time.Since(since)
		switch {
		case got == want:
			return elapsed
		case got > want:
			t.Fatalf("the reader serves version %d, newer than the committed %d", got, want)
		case elapsed > propagationBound:
			t.Fatalf("%s after the change to version %d was sent, the reader still serves version %d", elapsed, want, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stayOnVersion checks that the reader keeps serving version want for d.
func stayOnVersion(t *testing.T, srv *e2etest.Server, key string, want int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if got := servedVersion(t, srv, key); got != want {
			t.Fatalf("the reader went from version %d back to %d", want, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clusterFixture registers an account on the writer with an asset at
// version 1 of local, creates an API key, and warms the reader's cache.
func clusterFixture(t *testing.T, p *pair) (account, apiKey) {
	t.Helper()
	acct := registerAccount(t, p.writer)
	acct.createAsset(t, "billing")
	acct.setValue(t, "billing", "local", "features", "release", 1)
	key := acct.createAPIKey(t, "sdk", "local")
	awaitVersion(t, p.reader, key.Key, 1, time.Now())
	return acct, key
}

// TestChangeServedByOtherProcess: a change made through one process is
// served by another within a second, while the other reads from its cache.
func TestChangeServedByOtherProcess(t *testing.T) {
	p := startPair(t)
	acct, key := clusterFixture(t, p)
	var worst time.Duration
	for want := 2; want <= 6; want++ {
		// Read twice so the reader's cache holds the current version.
		servedVersion(t, p.reader, key.Key)
		servedVersion(t, p.reader, key.Key)
		started := time.Now()
		if v := acct.setValue(t, "billing", "local", "features", "release", want); v != want {
			t.Fatalf("the change made version %d, want %d", v, want)
		}
		if d := awaitVersion(t, p.reader, key.Key, want, started); d > worst {
			worst = d
		}
	}
	t.Logf("slowest propagation of 5 changes: %s", worst)
	requireFeedLive(t, p.reader)
}

// revocationRounds is how many keys TestRevokedKeyRefusedByOtherProcess
// revokes under load.
const revocationRounds = 10

// readsPerProcess is how many readers hammer each process with the key
// being revoked.
const readsPerProcess = 2

// keyRead is one read with an API key: when it was sent and how it ended.
type keyRead struct {
	process string
	sent    time.Time
	status  int
	code    string
	err     error
}

// hammer reads billing/local with key from readsPerProcess goroutines per
// server until stop is closed, and returns every read.
func hammer(servers map[string]*e2etest.Server, key string, stop <-chan struct{}) <-chan []keyRead {
	out := make(chan []keyRead, 1)
	go func() {
		var mu sync.Mutex
		var reads []keyRead
		var wg sync.WaitGroup
		for name, srv := range servers {
			for range readsPerProcess {
				wg.Go(func() {
					client := &http.Client{Timeout: 10 * time.Second}
					for {
						select {
						case <-stop:
							return
						default:
						}
						r := keyRead{process: name, sent: time.Now()}
						req, _ := http.NewRequest(http.MethodGet, srv.URL+valuesPath("billing", "local"), nil)
						req.Header.Set("X-API-Key", key)
						resp, err := client.Do(req)
						if err != nil {
							r.err = err
						} else {
							body, _ := io.ReadAll(resp.Body)
							_ = resp.Body.Close()
							r.status, r.code = resp.StatusCode, errorCode(body)
						}
						mu.Lock()
						reads = append(reads, r)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		out <- reads
	}()
	return out
}

// TestRevokedKeyRefusedByOtherProcess: while readers hammer both processes
// with a key, the key is revoked through one of them (the writer): from the
// 204 on, the writer refuses it at once and the other process (the reader,
// which had it cached) within 1 second. Every read sent after the 204 is
// checked, for 1.2 seconds, in each of several rounds.
func TestRevokedKeyRefusedByOtherProcess(t *testing.T) {
	// Limits no reader reaches: a refused key counts as anonymous.
	p := startPairWith(t, map[string]string{
		"RATE_LIMIT_ANON": "1000000/hour", "RATE_LIMIT_API_KEY": "1000000/hour", "RATE_LIMIT_API_KEY_BURST": "1000000/minute",
	})
	acct, _ := clusterFixture(t, p)
	other := acct.createAPIKey(t, "other", "local")
	servedVersion(t, p.reader, other.Key)
	servers := map[string]*e2etest.Server{"writer": p.writer, "reader": p.reader}

	var windows []time.Duration
	for round := range revocationRounds {
		key := acct.createAPIKey(t, "sdk-"+strconv.Itoa(round), "local")
		servedVersion(t, p.reader, key.Key)
		servedVersion(t, p.writer, key.Key)
		stop := make(chan struct{})
		done := hammer(servers, key.Key, stop)
		// Reads are in flight on both processes when the key is revoked.
		time.Sleep(50 * time.Millisecond)
		acct.must(t, http.StatusNoContent, http.MethodDelete, apiBase+"/api-keys/"+key.ID, nil)
		revoked := time.Now()
		// Keep reading past the bound: a read accepted later fails the test.
		time.Sleep(time.Until(revoked.Add(propagationBound + 200*time.Millisecond)))
		close(stop)
		reads := <-done

		window := time.Duration(0)
		after := map[string]int{}
		for _, r := range reads {
			if r.err != nil {
				t.Fatalf("round %d: a read on the %s failed: %v", round+1, r.process, r.err)
			}
			if r.status != http.StatusOK && (r.status != http.StatusUnauthorized || r.code != "INVALID_API_KEY") {
				t.Fatalf("round %d: a read on the %s answered %d %s, want 200 or 401 INVALID_API_KEY", round+1, r.process, r.status, r.code)
			}
			since := r.sent.Sub(revoked)
			if since < 0 {
				continue
			}
			after[r.process]++
			if r.status != http.StatusOK {
				continue
			}
			if r.process == "writer" {
				t.Fatalf("round %d: the process that answered the revocation accepted the key in a read sent %s after the 204", round+1, since)
			}
			if since > propagationBound {
				t.Fatalf("round %d: the other process accepted the key in a read sent %s after the 204", round+1, since)
			}
			window = max(window, since)
		}
		if after["writer"] < 10 || after["reader"] < 10 {
			t.Fatalf("round %d: only %v reads sent after the revocation: too few to check the bound", round+1, after)
		}
		windows = append(windows, window)
	}
	slices.Sort(windows)
	t.Logf("window in which the other process accepted a revoked key, over %d revocations: median %s, max %s",
		len(windows), windows[len(windows)/2], windows[len(windows)-1])
	if v := servedVersion(t, p.reader, other.Key); v != 1 {
		t.Fatalf("the tenant's other key reads version %d, want 1", v)
	}
}

// TestLostNotificationConnection: killing the reader's change-feed
// connection never lets it serve a stale version for more than a second,
// even for a change committed right after the kill.
func TestLostNotificationConnection(t *testing.T) {
	p := startPair(t)
	acct, key := clusterFixture(t, p)
	for want := 2; want <= 5; want++ {
		requireFeedLive(t, p.reader)
		servedVersion(t, p.reader, key.Key)
		servedVersion(t, p.reader, key.Key)

		p.terminate(t, p.readerListener(t))
		started := time.Now()
		if v := acct.setValue(t, "billing", "local", "features", "release", want); v != want {
			t.Fatalf("the change made version %d, want %d", v, want)
		}
		d := awaitVersion(t, p.reader, key.Key, want, started)
		stayOnVersion(t, p.reader, key.Key, want, 300*time.Millisecond)
		t.Logf("kill %d: the reader served version %d %s after the change was sent", want-1, want, d)
	}
	if pids := p.listeners(t); !slices.Contains(pids, p.writerListener) {
		t.Fatalf("the writer's change feed was disturbed by killing the reader's (listeners %v)", pids)
	}
	requireFeedLive(t, p.reader)
	requireAlive(t, p.reader)
	requireNoPanic(t, p.reader.Logs())
}
