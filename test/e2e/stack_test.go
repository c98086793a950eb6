package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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

// generousLimits keep the shared servers' rate limits out of the way of the
// many registrations and failed logins the suites make.
var generousLimits = map[string]string{
	"RATE_LIMIT_ANON":          "100000/hour",
	"RATE_LIMIT_USER":          "100000/hour",
	"RATE_LIMIT_API_KEY":       "100000/hour",
	"RATE_LIMIT_API_KEY_BURST": "100000/minute",
}

// stack is one running configmat process with what a scenario needs to
// talk to it and to check it afterwards.
type stack struct {
	kind storeKind
	srv  *e2etest.Server
	// env is the server's settings; subcommands run with the same ones.
	env map[string]string
	// dir is the server's working folder (the embedded store lives in dir/data).
	dir      string
	contract *e2etest.Contract
	http     *http.Client
	rec      *recorder
}

// forEachStore runs fn once per store kind, as subtests named after it.
func forEachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	t.Helper()
	e2etest.ForEachStore(t, fn)
}

// startStack starts configmat on kind's store with JSON logs at debug level,
// the given settings on top. When t ends the server is stopped and its whole
// stderr is checked (see recorder.checkLogs).
func startStack(t *testing.T, kind storeKind, settings map[string]string) *stack {
	t.Helper()
	st := &stack{
		kind:     kind,
		dir:      t.TempDir(),
		contract: e2etest.LoadContract(t),
		http: &http.Client{
			Timeout: 60 * time.Second,
			// A trailing slash must be served, never redirected.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		rec: newRecorder(),
	}
	st.env = map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
	switch kind {
	case sqliteStore:
		st.env["DEBUG"] = "true"
	case postgresStore:
		db := pgtest.New(t).Fresh(t)
		key := randomHex(32)
		st.rec.secret("ENCRYPTION_KEY", key)
		st.rec.secret("application role password", urlPassword(t, db.AppURL))
		st.rec.secret("owner role password", urlPassword(t, db.OwnerURL))
		st.env["DATABASE_URL"] = db.AppURL
		st.env["MIGRATION_DATABASE_URL"] = db.OwnerURL
		st.env["ENCRYPTION_KEY"] = key
		st.env["ALLOW_SIGNUP"] = "true"
	default:
		t.Fatalf("unknown store %q", kind)
	}
	maps.Copy(st.env, settings)
	// Registered before Start, so it runs after the server has stopped.
	t.Cleanup(func() { st.rec.checkLogs(t, "configmat serve", st.srv.Logs()) })
	st.srv = e2etest.Start(t, e2etest.Options{Env: st.env, Dir: st.dir})
	if kind == sqliteStore && st.env["ENCRYPTION_KEY"] == "" {
		key, err := os.ReadFile(filepath.Join(st.dir, "data", "dev-encryption.key"))
		if err != nil {
			t.Fatalf("DEBUG=true without ENCRYPTION_KEY must keep a development key beside the embedded database: %v", err)
		}
		st.rec.secret("development ENCRYPTION_KEY", strings.TrimSpace(string(key)))
	}
	return st
}

// run runs a one-shot subcommand with the server's settings and folder, and
// checks that its stderr holds none of the run's secrets.
func (st *stack) run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	code, stdout, stderr = e2etest.Run(t, e2etest.Options{Env: st.env, Dir: st.dir, Args: args}, stdin)
	st.rec.checkNoSecrets(t, "stderr of configmat "+strings.Join(args, " "), stderr)
	return code, stdout, stderr
}

// urlPassword returns the password of a URL's user.
func urlPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse a database URL: %v", err)
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		t.Fatal("the pgtest URLs carry a password")
	}
	return p
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
