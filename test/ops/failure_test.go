package ops

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// lockVersionHeads takes an exclusive lock on version_heads as the
// superuser, so that every change set waits for it; release ends it.
func lockVersionHeads(t *testing.T, admin *sqlx.DB) (release func()) {
	t.Helper()
	tx, err := admin.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE version_heads IN ACCESS EXCLUSIVE MODE`); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return func() { _ = tx.Rollback() }
}

// lockWaiter waits until a backend of database waits for a lock and returns
// its PID.
func lockWaiter(t *testing.T, admin *sqlx.DB, database string) int {
	t.Helper()
	var pids []int
	if !waitFor(30*time.Second, func() bool {
		pids = nil
		err := admin.Select(&pids, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, database)
		return err == nil && len(pids) == 1
	}) {
		t.Fatalf("no request waits for the lock (waiting backends %v)", pids)
	}
	return pids[0]
}

// answer is an HTTP answer received in the background.
type answer struct {
	resp *http.Response
	body []byte
	took time.Duration
}

// patchInBackground sends a change set and delivers its answer.
func patchInBackground(t *testing.T, acct account) <-chan answer {
	t.Helper()
	out := make(chan answer, 1)
	started := time.Now()
	go func() {
		resp, body := acct.do(t, http.MethodPatch, apiBase+"/assets/billing/environments/local", map[string]any{
			"set": map[string]any{"database": map[string]any{"host": map[string]any{"value": "db.internal"}}},
		})
		out <- answer{resp: resp, body: body, took: time.Since(started)}
	}()
	return out
}

// requireUnavailable fails t unless a is 503 SERVICE_UNAVAILABLE.
func requireUnavailable(t *testing.T, a answer) {
	t.Helper()
	requireStatus(t, a.resp, a.body, http.StatusServiceUnavailable)
	if code := errorCode(a.body); code != "SERVICE_UNAVAILABLE" {
		t.Fatalf("code %s, want SERVICE_UNAVAILABLE: %s", code, a.body)
	}
}

// TestStatementPastTimeoutAnswers503: a change set that waits on the
// database longer than DB_STATEMENT_TIMEOUT answers 503 once the bound has
// passed, and the store works again once the wait is over.
func TestStatementPastTimeoutAnswers503(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	srv := startServer(t, e2etest.Options{Env: postgresEnv(db, newEncryptionKey(t), map[string]string{"DB_STATEMENT_TIMEOUT": "1s"})})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	release := lockVersionHeads(t, db.Admin(t))
	a := <-patchInBackground(t, acct)
	requireUnavailable(t, a)
	if a.took < time.Second || a.took > 11*time.Second {
		t.Errorf("answered after %s, want just past DB_STATEMENT_TIMEOUT=1s", a.took)
	}
	release()
	acct.setValue(t, "billing", "local", "database", "host", "db.internal")
	requireNoPanic(t, srv.Logs())
}

// TestConnectionTerminatedMidRequestAnswers503: a change set whose backend
// is ended by pg_terminate_backend while it waits answers 503, never 500.
func TestConnectionTerminatedMidRequestAnswers503(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	srv := startServer(t, e2etest.Options{Env: postgresEnv(db, newEncryptionKey(t), nil)})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	admin := db.Admin(t)
	release := lockVersionHeads(t, admin)
	answered := patchInBackground(t, acct)
	var ended bool
	if err := admin.Get(&ended, `SELECT pg_terminate_backend($1)`, lockWaiter(t, admin, db.Name)); err != nil || !ended {
		t.Fatalf("pg_terminate_backend: %v, %v", ended, err)
	}
	requireUnavailable(t, <-answered)
	release()
	acct.setValue(t, "billing", "local", "database", "host", "db.internal")
	if strings.Contains(srv.Logs(), `"status":500`) {
		t.Errorf("a request was logged as 500:\n%s", srv.Logs())
	}
}

// TestHealthDuringDatabaseOutage: while the database refuses connections,
// the detailed health is 503 degraded with the database unhealthy and the
// encryption check unknown (it cannot read a data key), not blamed on the
// key; requests answer 503; once the database is back all is healthy.
func TestHealthDuringDatabaseOutage(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	proxy, appURL := pgtest.ProxyFor(t, db.AppURL)
	env := postgresEnv(db, newEncryptionKey(t), map[string]string{"DATABASE_URL": appURL, "LISTEN_DATABASE_URL": db.AppURL})
	srv := startServer(t, e2etest.Options{Env: env})
	acct := registerAccount(t, srv)

	proxy.Refuse(true)
	var (
		resp *http.Response
		body []byte
		h    healthDetailed
	)
	if !waitFor(30*time.Second, func() bool {
		resp, body = srv.Do(t, http.MethodGet, "/health/detailed", nil, nil)
		h = decode[healthDetailed](t, body)
		return h.Checks["database"]["status"] == "unhealthy"
	}) {
		t.Fatalf("the database is not reported down: %s", body)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != "degraded" {
		t.Errorf("health during the outage: %d %s, want 503 degraded", resp.StatusCode, body)
	}
	enc := h.Checks["encryption"]
	if enc["status"] != "unknown" || !strings.Contains(enc["reason"].(string), "database is unavailable") || enc["error"] != nil {
		t.Errorf("encryption check during the outage: %v, want unknown because the database is down", enc)
	}
	if strings.Contains(string(body), "unwrap") {
		t.Errorf("the health blames the key-encryption key: %s", body)
	}
	r, b := acct.do(t, http.MethodGet, apiBase+"/environments", nil)
	requireUnavailable(t, answer{resp: r, body: b})

	proxy.Refuse(false)
	if !waitFor(30*time.Second, func() bool {
		resp, body = srv.Do(t, http.MethodGet, "/health/detailed", nil, nil)
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("health after the outage: %d %s", resp.StatusCode, body)
	}
	acct.must(t, http.StatusOK, http.MethodGet, apiBase+"/environments", nil)
}

// accessLine is the part of an access log line these tests read.
type accessLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Status int    `json:"status"`
	Route  string `json:"route"`
}

// TestClientGoneIsLoggedAs499: a client that closes its connection while
// its change set waits on the database is logged once as 499 at info, with
// no error line, and nothing is committed.
func TestClientGoneIsLoggedAs499(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	srv := startServer(t, e2etest.Options{Env: postgresEnv(db, newEncryptionKey(t), nil)})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")
	admin := db.Admin(t)
	release := lockVersionHeads(t, admin)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, srv.URL+apiBase+"/assets/billing/environments/local",
		strings.NewReader(`{"set":{"database":{"host":{"value":"db.internal"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range acct.headers() {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	sent := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		sent <- err
	}()
	lockWaiter(t, admin, db.Name)
	cancel()
	if err := <-sent; err == nil {
		t.Fatal("the canceled request got an answer")
	}
	var line accessLine
	if !waitFor(30*time.Second, func() bool {
		for _, l := range strings.Split(srv.Logs(), "\n") {
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "request" && line.Route == apiBase+"/assets/{slug}/environments/{env}" {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no access line for the canceled change set:\n%s", srv.Logs())
	}
	if line.Status != 499 || line.Level != "info" {
		t.Errorf("access line %+v, want status 499 at info", line)
	}
	for _, l := range strings.Split(srv.Logs(), "\n") {
		if strings.Contains(l, `"level":"error"`) || strings.Contains(l, "request failed") {
			t.Errorf("an error line for a client that went away: %s", l)
		}
	}
	release()
	if v := acct.setValue(t, "billing", "local", "database", "host", "db.internal"); v != 1 {
		t.Errorf("the next change set made version %d, want 1: the canceled one committed", v)
	}
}
