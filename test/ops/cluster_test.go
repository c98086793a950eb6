package ops

import (
	"net/http"
	"slices"
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

// TestRevokedKeyRefusedByOtherProcess: a key revoked through one process is
// refused by another within a second, while the other had it cached.
func TestRevokedKeyRefusedByOtherProcess(t *testing.T) {
	p := startPair(t)
	acct, key := clusterFixture(t, p)
	other := acct.createAPIKey(t, "other", "local")
	servedVersion(t, p.reader, key.Key)
	servedVersion(t, p.reader, other.Key)

	acct.must(t, http.StatusNoContent, http.MethodDelete, apiBase+"/api-keys/"+key.ID, nil)
	revoked := time.Now()
	for {
		resp, body := readWithKey(t, p.reader, key.Key, "billing", "local")
		if resp.StatusCode == http.StatusUnauthorized {
			if code := errorCode(body); code != "INVALID_API_KEY" {
				t.Fatalf("the revoked key answered 401 %q, want INVALID_API_KEY", code)
			}
			t.Logf("the reader refused the revoked key %s after the revocation", time.Since(revoked))
			break
		}
		requireStatus(t, resp, body, http.StatusOK)
		if time.Since(revoked) > propagationBound {
			t.Fatalf("the reader still accepts the key %s after its revocation", time.Since(revoked))
		}
		time.Sleep(10 * time.Millisecond)
	}
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
