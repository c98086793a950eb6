package ops

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// TestFeedSelfCheckAtStart: serve proves its change feed before it
// listens. A LISTEN_DATABASE_URL that is no URL, whose port is closed, or
// whose connection LISTENs but is never handed a notification (a proxy
// that drops them, as PgBouncer in transaction mode does to LISTEN) stops
// it with one line naming LISTEN_DATABASE_URL, without the URL.
func TestFeedSelfCheckAtStart(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	proxy, dropping := pgtest.ProxyFor(t, db.AppURL)
	proxy.DropNotifications(true)
	secret := "hunter2-" + randomHex(t, 4)
	tests := []struct{ name, url, want string }{
		{"not a URL", "notaurl", "not a valid PostgreSQL connection URL"},
		{"closed port", "postgres://app:" + secret + "@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/" + db.Name + "?sslmode=disable",
			"the connection was refused"},
		{"never delivers", dropping, "did not receive its own notification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := postgresEnv(db, newEncryptionKey(t), map[string]string{"LISTEN_DATABASE_URL": tt.url})
			res := runServe(t, t.TempDir(), env)
			requireOneLine(t, res, "LISTEN_DATABASE_URL", tt.want, tt.url, secret, proxy.Addr(), db.Name)
		})
	}
}

// TestFeedThatStopsDelivering: after a reconnection whose probe does not
// come back, the server keeps its cache dropped and bypassed and reports
// it (health degraded, invalidation "bypassed"), reads stay correct, and
// once notifications arrive again the feed is live again.
func TestFeedThatStopsDelivering(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	proxy, listenURL := pgtest.ProxyFor(t, db.AppURL)
	key := newEncryptionKey(t)
	srv := startServer(t, e2etest.Options{Env: postgresEnv(db, key, map[string]string{"LISTEN_DATABASE_URL": listenURL})})
	requireFeedLive(t, srv)
	other := startServer(t, e2etest.Options{Env: postgresEnv(db, key, nil)})
	acct := registerAccount(t, other)
	acct.createAsset(t, "billing")
	apiKey := acct.createAPIKey(t, "sdk", "local")
	acct.setValue(t, "billing", "local", "features", "release", 1)
	if v := servedVersion(t, srv, apiKey.Key); v != 1 {
		t.Fatalf("served version %d, want 1", v)
	}

	proxy.DropNotifications(true)
	proxy.Cut()
	var h healthDetailed
	if !waitFor(15*time.Second, func() bool { h = detailedHealth(t, srv); return h.Checks["cache"]["invalidation"] == "bypassed" }) {
		t.Fatalf("the cache is not reported bypassed after the feed lost its connection: %+v\n%s", h, srv.Logs())
	}
	// Two probe rounds (5 s each) later the feed has still not come back.
	deadline := time.Now().Add(11 * time.Second)
	for version := 2; time.Now().Before(deadline); version++ {
		acct.setValue(t, "billing", "local", "features", "release", version)
		if v := servedVersion(t, srv, apiKey.Key); v != version {
			t.Fatalf("with the feed down the server served version %d, want %d (its cache must be bypassed)", v, version)
		}
		resp, body := srv.Do(t, http.MethodGet, "/health/detailed", nil, nil)
		h = decode[healthDetailed](t, body)
		if resp.StatusCode != http.StatusServiceUnavailable || h.Status != "degraded" ||
			h.Checks["cache"]["invalidation"] != "bypassed" || h.Checks["cache"]["status"] != "degraded" {
			t.Fatalf("health while the feed does not deliver: %d %s, want 503 degraded with the cache bypassed", resp.StatusCode, body)
		}
		time.Sleep(500 * time.Millisecond)
	}

	proxy.DropNotifications(false)
	requireFeedLive(t, srv)
	if logs := srv.Logs(); !strings.Contains(logs, "change feed down") {
		t.Errorf("the server did not log the feed going down:\n%s", logs)
	}
}
