package ops

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/stack"
)

// TestComposeFileIsConsistent checks what running the compose stack on the
// test's own roles cannot see: that the file's services agree with each
// other and with deploy/postgres-init.sql, and that PgBouncer is set up
// for transaction pooling with a short login retry.
func TestComposeFileIsConsistent(t *testing.T) {
	c := loadCompose(t)
	bouncer := c.Services[pgbouncerService].Environment
	service := c.Services[configmatService].Environment
	db := composeURL(t, c, configmatService, "DATABASE_URL")
	listen := composeURL(t, c, configmatService, "LISTEN_DATABASE_URL")
	owner := composeURL(t, c, migrateService, migrationURLSetting(t, c))

	if bouncer["POOL_MODE"] != "transaction" {
		t.Errorf("PgBouncer's POOL_MODE is %q; the stack is tested in transaction mode", bouncer["POOL_MODE"])
	}
	// The contract: recovery after a PostgreSQL restart takes about a
	// second; PgBouncer waits server_login_retry after a failed login.
	if retry, err := strconv.Atoi(bouncer["SERVER_LOGIN_RETRY"]); err != nil || retry < 1 || retry > 2 {
		t.Errorf("PgBouncer's SERVER_LOGIN_RETRY is %q, want 1 or 2 seconds (the default is 15)", bouncer["SERVER_LOGIN_RETRY"])
	}
	password, _ := db.User.Password()
	if db.Hostname() != pgbouncerService || db.User.Username() != bouncer["DB_USER"] || password != bouncer["DB_PASSWORD"] ||
		strings.TrimPrefix(db.Path, "/") != bouncer["DB_NAME"] {
		t.Errorf("DATABASE_URL (host %s, role %s, database %s) does not log in to PgBouncer's database %s as its DB_USER %s with its DB_PASSWORD",
			db.Hostname(), db.User.Username(), db.Path, bouncer["DB_NAME"], bouncer["DB_USER"])
	}
	if bouncer["DB_HOST"] != postgresService {
		t.Errorf("PgBouncer's DB_HOST is %q, want the %s service", bouncer["DB_HOST"], postgresService)
	}
	// LISTEN needs a session: PgBouncer in transaction mode cannot carry it.
	if listen.Hostname() != postgresService || listen.User.Username() != db.User.Username() || listen.Path != db.Path {
		t.Errorf("LISTEN_DATABASE_URL must reach the %s service directly as DATABASE_URL's role and database; it names %s, %s, %s",
			postgresService, listen.Hostname(), listen.User.Username(), listen.Path)
	}
	if owner.Hostname() != postgresService || owner.User.Username() == db.User.Username() || owner.Path != db.Path {
		t.Errorf("the %s service must migrate %s directly as the owner, not through PgBouncer nor as the service's role; it names %s as %s",
			migrateService, db.Path, owner.Hostname(), owner.User.Username())
	}
	if service["MIGRATE_ON_START"] != "false" {
		t.Errorf("the %s service's MIGRATE_ON_START is %q: its role owns nothing and cannot migrate; the %s service does", configmatService, service["MIGRATE_ON_START"], migrateService)
	}
	if v := service["ENCRYPTION_KEY"]; !strings.HasPrefix(v, "${ENCRYPTION_KEY:?") {
		t.Errorf("the %s service's ENCRYPTION_KEY is %q; it must come from the operator's ENCRYPTION_KEY, required", configmatService, v)
	}

	initSQL, err := os.ReadFile(stack.RepoFile("deploy/postgres-init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	ownerPassword, _ := owner.User.Password()
	for _, u := range []struct{ role, password string }{
		{db.User.Username(), password},
		{owner.User.Username(), ownerPassword},
	} {
		create := regexp.MustCompile(`CREATE ROLE ` + regexp.QuoteMeta(u.role) + ` LOGIN PASSWORD '` + regexp.QuoteMeta(u.password) + `'`)
		if !create.Match(initSQL) {
			t.Errorf("deploy/postgres-init.sql does not create role %s with the compose file's password", u.role)
		}
	}
}

// TestComposeStackThroughPgBouncer runs docker-compose.yml's stack (see
// startComposeStack): PgBouncer 1.18 in transaction mode with the file's
// settings, `migrate` as the owner, two `serve` processes as the
// application role with the file's DATABASE_URL and LISTEN_DATABASE_URL.
// Through it: the README's walk-through, the tenant-isolation probes of two
// tenants across both processes, a change and a revocation seen by the
// other process within a second, and concurrent change sets of two tenants
// with no prepared-statement or session error in any answer or log.
func TestComposeStackThroughPgBouncer(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 2)
	s0, s1 := st.servers[0], st.servers[1]

	t.Run("README walk-through", func(t *testing.T) {
		w := walkReadme(t, s0)
		requireStageConfig(t, s1, w, 3, "db.internal")
		if audit := decode[auditVerify](t, w.acct.on(s1).must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/verify", nil)); audit != w.audit {
			t.Errorf("the other process verifies the chain as %+v, want %+v", audit, w.audit)
		}
		st.auditVerifyCommand(t, w.acct.tenant)
	})
	t.Run("tenant isolation across both processes", func(t *testing.T) {
		requireTenantIsolation(t, st.servers)
	})
	t.Run("a change and a revocation seen by the other process", func(t *testing.T) {
		acct, key := clusterFixture(t, &pair{writer: s0, reader: s1})
		for want := 2; want <= 4; want++ {
			started := time.Now()
			if v := acct.setValue(t, "billing", "local", "features", "release", want); v != want {
				t.Fatalf("the change made version %d, want %d", v, want)
			}
			t.Logf("version %d served by the other process %s after the change was sent", want, awaitVersion(t, s1, key.Key, want, started))
		}
		requireRevocationSeen(t, acct.on(s1), key, s0)
	})
	t.Run("concurrent change sets of two tenants", func(t *testing.T) {
		tenants := []loadTenant{newLoadTenant(t, s0, 2), newLoadTenant(t, s1, 2)}
		w := startWorkload(t, st.servers, tenants, loadOptions{writers: 8, writes: 15, readers: 4})
		w.waitWriters(t, 2*time.Minute)
		w.verify(t, s0, s0, s1)
	})
	requireNoSessionErrors(t, st)
}

// sessionErrors are what a statement sent on the wrong pooled connection,
// or a session setting relied on across transactions, looks like.
var sessionErrors = []string{"prepared statement", "bind message", "portal", "current transaction is aborted", "app.current_tenant"}

// requireNoSessionErrors fails t when a server logged an error, or a server
// or PgBouncer logged a prepared-statement or session error.
func requireNoSessionErrors(t *testing.T, st *composeStack) {
	t.Helper()
	for i, srv := range st.servers {
		entries, _ := logEntries(srv.Logs())
		for _, e := range entries {
			if e.Level == "error" || e.Level == "fatal" || e.Level == "panic" {
				t.Errorf("server %d logged at level %s: %s", i, e.Level, e.Msg)
			}
		}
		requireNoneOf(t, fmt.Sprintf("server %d's log", i), srv.Logs(), sessionErrors)
	}
	requireNoneOf(t, "PgBouncer's log", st.bouncer.Logs(), sessionErrors)
}

// requireNoneOf fails t when text contains one of phrases.
func requireNoneOf(t *testing.T, what, text string, phrases []string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, p := range phrases {
		if strings.Contains(lower, p) {
			t.Errorf("%s mentions %q:\n%s", what, p, strings.Join(linesContaining(lower, p), "\n"))
		}
	}
}

// requireRevocationSeen revokes key through acct's process and checks that
// other refuses it within propagationBound, having served it from its
// cache just before.
func requireRevocationSeen(t *testing.T, acct account, key apiKey, other *e2etest.Server) {
	t.Helper()
	servedVersion(t, other, key.Key)
	servedVersion(t, other, key.Key)
	acct.must(t, http.StatusNoContent, http.MethodDelete, apiBase+"/api-keys/"+key.ID, nil)
	revoked := time.Now()
	for {
		resp, body := readWithKey(t, other, key.Key, "billing", "local")
		if resp.StatusCode == http.StatusUnauthorized {
			if code := errorCode(body); code != "INVALID_API_KEY" {
				t.Fatalf("the revoked key answered 401 %q, want INVALID_API_KEY", code)
			}
			t.Logf("the other process refused the revoked key %s after the 204", time.Since(revoked))
			return
		}
		requireStatus(t, resp, body, http.StatusOK)
		if time.Since(revoked) > propagationBound {
			t.Fatalf("the other process still accepts the key %s after its revocation", time.Since(revoked))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFeedSelfCheckRefusesPgBouncer: the operator's mistake the self-check
// exists for. With compose's settings but LISTEN_DATABASE_URL left out (so
// the change feed LISTENs through PgBouncer in transaction mode, which
// accepts LISTEN and never delivers a notification), serve stops at start
// with one line naming LISTEN_DATABASE_URL, without the URL or password.
func TestFeedSelfCheckRefusesPgBouncer(t *testing.T) {
	c := loadCompose(t)
	st := startComposeStack(t, c, sharedBackend(t, c), 0)
	env := maps.Clone(st.env)
	if _, ok := env["LISTEN_DATABASE_URL"]; !ok {
		t.Fatal("the configmat service sets no LISTEN_DATABASE_URL; the compose stack's feed would go through PgBouncer")
	}
	delete(env, "LISTEN_DATABASE_URL")
	through, err := url.Parse(env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	password, _ := through.User.Password()
	secrets := []string{env["DATABASE_URL"], st.bouncer.Addr}
	if password != "" {
		secrets = append(secrets, password)
	}
	res := runServe(t, t.TempDir(), env)
	requireOneLine(t, res, "LISTEN_DATABASE_URL", "did not receive its own notification", secrets...)
}
