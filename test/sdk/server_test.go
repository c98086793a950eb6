package sdke2e

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// storeKind selects the store a server runs on (e2etest.Stores).
type storeKind = e2etest.Store

const (
	sqliteStore   = e2etest.SQLite
	postgresStore = e2etest.Postgres
)

// forEachStore runs fn once per store, as subtests named after it.
func forEachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	t.Helper()
	e2etest.ForEachStore(t, fn)
}

// server is configmat on one store and one fixed address, which a test can
// kill and start again there, or run a second process beside on the same
// store.
type server struct {
	t    *testing.T
	env  map[string]string
	dir  string
	addr string
	proc *e2etest.Server
}

// newServer starts configmat on kind's store, listening on a free loopback
// port that it keeps across restarts.
func newServer(t *testing.T, kind storeKind, settings map[string]string) *server {
	t.Helper()
	s := &server{t: t, dir: t.TempDir(), addr: freeAddr(t), env: map[string]string{
		"LOG_FORMAT": "json",
		// Many watchers of one key reconnect together: keep the limits out
		// of their way.
		"RATE_LIMIT_ANON":          "100000/hour",
		"RATE_LIMIT_USER":          "100000/hour",
		"RATE_LIMIT_API_KEY":       "100000/hour",
		"RATE_LIMIT_API_KEY_BURST": "100000/minute",
	}}
	switch kind {
	case sqliteStore:
		s.env["DEBUG"] = "true"
	case postgresStore:
		db := pgtest.New(t).Fresh(t)
		s.env["DATABASE_URL"] = db.AppURL
		s.env["MIGRATION_DATABASE_URL"] = db.OwnerURL
		s.env["ENCRYPTION_KEY"] = randomHex(32)
		s.env["ALLOW_SIGNUP"] = "true"
	default:
		t.Fatalf("unknown store %q", kind)
	}
	maps.Copy(s.env, settings)
	s.start()
	return s
}

// freeAddr returns a loopback address with a port free at the time of the
// call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// URL is the server's base URL, the same across restarts.
func (s *server) URL() string { return "http://" + s.addr }

// start runs configmat on the server's address and waits until it listens.
func (s *server) start() {
	s.t.Helper()
	env := maps.Clone(s.env)
	env["LISTEN_ADDR"] = s.addr
	s.proc = e2etest.Start(s.t, e2etest.Options{Env: env, Dir: s.dir})
	if s.proc.URL != s.URL() {
		s.t.Fatalf("configmat listens on %s, want %s", s.proc.URL, s.URL())
	}
}

// stop ends the process with SIGTERM, as a deploy: its streams end cleanly.
func (s *server) stop() {
	s.t.Helper()
	if code := s.proc.Stop(s.t); code != 0 {
		s.t.Fatalf("configmat exited with %d after SIGTERM", code)
	}
}

// kill ends the process with SIGKILL, as a crash: no stream ends cleanly.
func (s *server) kill() {
	s.t.Helper()
	if err := s.proc.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	s.proc.Wait()
}

// beside runs fn against a second configmat process on the same store (on
// another port) and stops it: changes made while the server is down.
func (s *server) beside(fn func(url string)) {
	s.t.Helper()
	other := e2etest.Start(s.t, e2etest.Options{Env: s.env, Dir: s.dir})
	fn(other.URL)
	if code := other.Stop(s.t); code != 0 {
		s.t.Fatalf("the second configmat process exited with %d:\n%s", code, other.Logs())
	}
}

// fixture is a tenant with one asset holding values in prod, and an API key.
type fixture struct {
	t     *testing.T
	token string
	asset string
	// key reads every environment, keyID names it; stageKey reads only stage.
	key, keyID, stageKey string
	// secret is the value of the secret database.password.
	secret string
}

// newFixture registers a tenant on the server at url and creates the asset
// (version 1 of prod: database.host "db1" and the secret), and the keys.
func newFixture(t *testing.T, url string) *fixture {
	t.Helper()
	var reg struct {
		Token string `json:"token"`
	}
	call(t, url, http.MethodPost, "/api/v1/auth/register", "", map[string]string{
		"email": "owner-" + randomHex(4) + "@example.com", "password": "pw-" + randomHex(12), "tenant_name": "Tenant " + randomHex(3),
	}, http.StatusCreated, &reg)
	fx := &fixture{t: t, token: reg.Token, asset: "billing-" + randomHex(3), secret: "sv-" + randomHex(12)}
	call(t, url, http.MethodPost, "/api/v1/assets", fx.token,
		map[string]string{"slug": fx.asset, "name": "Billing", "description": "sdk e2e"}, http.StatusCreated, nil)
	fx.setHost(url, "db1")
	var key struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	call(t, url, http.MethodPost, "/api/v1/api-keys", fx.token, map[string]any{"name": "sdk", "environment": nil, "expires_at": nil}, http.StatusCreated, &key)
	fx.key, fx.keyID = key.Key, key.ID
	call(t, url, http.MethodPost, "/api/v1/api-keys", fx.token, map[string]any{"name": "stage", "environment": "stage", "expires_at": nil}, http.StatusCreated, &key)
	fx.stageKey = key.Key
	return fx
}

// setHost sets database.host in prod through the server at url (the secret
// too) and returns the new version.
func (fx *fixture) setHost(url, host string) int {
	fx.t.Helper()
	var out struct {
		Version int `json:"version"`
	}
	call(fx.t, url, http.MethodPatch, "/api/v1/assets/"+fx.asset+"/environments/prod", fx.token, map[string]any{
		"message": "set " + host,
		"set": map[string]any{"database": map[string]any{
			"host":     map[string]any{"value": host},
			"port":     map[string]any{"value": 5432},
			"password": map[string]any{"value": fx.secret, "secret": true},
		}},
	}, http.StatusOK, &out)
	return out.Version
}

// call sends a request with a user token and a JSON body, checks the status
// and decodes the answer into out (nil: ignored).
func call(t *testing.T, url, method, path, token string, body any, status int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
