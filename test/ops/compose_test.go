package ops

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
	"github.com/configmat/configmat/test/stack"
)

// The compose file's services that the stack tests run in its place.
const (
	postgresService  = "postgres"
	pgbouncerService = "pgbouncer"
	redisService     = "redis"
	migrateService   = "migrate"
	configmatService = "configmat"
)

// composeTestSettings are the settings the stack tests add to the configmat
// service's environment, none of which the compose file may set itself:
// the walk-through registers (compose leaves signup off, as production
// should), and the tests send more requests per user and per key than the
// default hourly limits allow.
var composeTestSettings = map[string]string{
	"ALLOW_SIGNUP":             "true",
	"RATE_LIMIT_ANON":          "100000/hour",
	"RATE_LIMIT_USER":          "100000/hour",
	"RATE_LIMIT_API_KEY":       "100000/hour",
	"RATE_LIMIT_API_KEY_BURST": "100000/minute",
}

// loadCompose reads the repository's docker-compose.yml.
func loadCompose(t *testing.T) *stack.Compose {
	t.Helper()
	c, err := stack.LoadCompose(stack.ComposeFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{postgresService, pgbouncerService, redisService, migrateService, configmatService} {
		if _, err := c.Service(name); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// composeURL parses a URL setting of a compose service.
func composeURL(t *testing.T, c *stack.Compose, service, setting string) *url.URL {
	t.Helper()
	raw := c.Services[service].Environment[setting]
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("the %s service's %s is not a URL", service, setting)
	}
	return u
}

// composeRoles returns the compose file's roles: the owner that the
// migrate service connects as, and the application role of the configmat
// service, with the database they use.
func composeRoles(t *testing.T, c *stack.Compose) (owner, app, database string) {
	t.Helper()
	m := composeURL(t, c, migrateService, migrationURLSetting(t, c))
	s := composeURL(t, c, configmatService, "DATABASE_URL")
	return m.User.Username(), s.User.Username(), strings.TrimPrefix(s.Path, "/")
}

// migrationURLSetting names the migrate service's owner URL setting:
// MIGRATION_DATABASE_URL, or DATABASE_URL (its default) when unset.
func migrationURLSetting(t *testing.T, c *stack.Compose) string {
	t.Helper()
	if _, ok := c.Services[migrateService].Environment["MIGRATION_DATABASE_URL"]; ok {
		return "MIGRATION_DATABASE_URL"
	}
	return "DATABASE_URL"
}

// composeBackend is the PostgreSQL a compose stack runs on.
type composeBackend struct {
	// mapping maps the compose file's server, roles and database.
	mapping stack.Mapping
	// database is the database's name and adminURL its superuser URL.
	database string
	adminURL string
	// postgres is the private cluster, nil on the test server.
	postgres *stack.Postgres
}

// sharedBackend runs the stack on a fresh database of the test server
// (pgtest), its roles in place of the compose file's. PgBouncer checks the
// services' logins with the compose file's AUTH_TYPE against the pgtest
// roles' passwords; the test server itself trusts its clients, so there the
// password PgBouncer passes on is not checked again (privateBackend's is).
func sharedBackend(t *testing.T, c *stack.Compose) composeBackend {
	t.Helper()
	db := pgtest.New(t).Fresh(t)
	owner, app, database := composeRoles(t, c)
	admin, _ := url.Parse(db.AdminURL)
	ownerURL, _ := url.Parse(db.OwnerURL)
	appURL, _ := url.Parse(db.AppURL)
	return composeBackend{
		mapping: stack.Mapping{
			Hosts:     map[string]string{postgresService: admin.Host},
			Users:     map[string]*url.Userinfo{owner: ownerURL.User, app: appURL.User},
			Databases: map[string]string{database: db.Name},
		},
		database: db.Name,
		adminURL: db.AdminURL,
	}
}

// privateBackend runs the stack on a private PostgreSQL cluster that the
// test may restart, prepared by deploy/postgres-init.sql as compose's
// postgres service is: the compose file's roles, passwords (checked by
// SCRAM, as in the postgres image) and database as they are.
func privateBackend(t *testing.T, c *stack.Compose) composeBackend {
	t.Helper()
	pg := stack.StartPostgres(t, stack.Unprivileged(t))
	pg.RunFile(t, stack.RepoFile("deploy/postgres-init.sql"))
	_, _, database := composeRoles(t, c)
	return composeBackend{
		mapping:  stack.Mapping{Hosts: map[string]string{postgresService: pg.Addr}},
		database: database,
		adminURL: pg.SuperuserURL(database),
		postgres: pg,
	}
}

// composeStack is docker-compose.yml's stack as the tests run it: PgBouncer
// with the pgbouncer service's settings in front of a PostgreSQL, a Redis,
// `configmat migrate` with the migrate service's environment, and `configmat
// serve` processes with the configmat service's, each URL pointed at the
// test's process.
type composeStack struct {
	compose *stack.Compose
	backend composeBackend
	bouncer *stack.PgBouncer
	redis   *ownRedis
	admin   *sqlx.DB
	// env is the configmat service's environment as the servers run it.
	env     map[string]string
	servers []*e2etest.Server
	// killed marks the servers a test killed on purpose.
	killed map[*e2etest.Server]bool
}

// startComposeStack starts the stack on backend with n server processes and
// waits until every change feed is live. When t ends each server is stopped
// and must exit 0 (unless killed) with no panic or data race in its log.
func startComposeStack(t *testing.T, c *stack.Compose, backend composeBackend, n int) *composeStack {
	t.Helper()
	st := &composeStack{compose: c, backend: backend, killed: map[*e2etest.Server]bool{}}
	m := backend.mapping
	m.Hosts = maps.Clone(m.Hosts)
	m.Variables = map[string]string{"ENCRYPTION_KEY": newEncryptionKey(t)}

	cfg, err := stack.PgBouncerFromCompose(c.Services[pgbouncerService].Environment, m)
	if err != nil {
		t.Fatal(err)
	}
	st.bouncer = stack.StartPgBouncer(t, stack.Unprivileged(t), cfg)
	st.redis = startOwnRedis(t)
	redisAddr, _ := url.Parse(st.redis.URL)
	m.Hosts[pgbouncerService], m.Hosts[redisService] = st.bouncer.Addr, redisAddr.Host

	migrate := c.Services[migrateService]
	migrateEnv, err := m.Environment(migrate.Environment)
	if err != nil {
		t.Fatalf("the %s service: %v", migrateService, err)
	}
	if code, out, errOut := e2etest.Run(t, e2etest.Options{Env: migrateEnv, Args: migrate.Command}, ""); code != 0 {
		t.Fatalf("configmat %s exited %d:\n%s%s", strings.Join(migrate.Command, " "), code, out, errOut)
	}

	service := c.Services[configmatService]
	if st.env, err = m.Environment(service.Environment); err != nil {
		t.Fatalf("the %s service: %v", configmatService, err)
	}
	for k, v := range composeTestSettings {
		if _, ok := st.env[k]; ok {
			t.Fatalf("the %s service sets %s, which the stack tests set themselves", configmatService, k)
		}
		st.env[k] = v
	}
	st.admin = pgtest.Connect(t, backend.adminURL)
	for range n {
		st.servers = append(st.servers, st.startServer(t))
	}
	if !waitFor(20*time.Second, func() bool { return len(st.listeners(t)) == n }) {
		t.Fatalf("change-feed connections %v, want one per server (%d)", st.listeners(t), n)
	}
	for _, srv := range st.servers {
		requireFeedLive(t, srv)
	}
	return st
}

// startServer starts one more `configmat serve` with the service's command
// and the stack's environment.
func (st *composeStack) startServer(t *testing.T) *e2etest.Server {
	t.Helper()
	srv := e2etest.Start(t, e2etest.Options{Env: st.env, Args: st.compose.Services[configmatService].Command})
	t.Cleanup(func() {
		if t.Failed() {
			logErrorLines(t, srv)
		}
		if code := srv.Stop(t); code != 0 && !st.killed[srv] {
			t.Errorf("exit status after SIGTERM %d, want 0; log:\n%s", code, srv.Logs())
		}
		if sign := panicSign(srv.Logs()); sign != "" {
			t.Errorf("the server's log shows %q:\n%s", sign, srv.Logs())
		}
	})
	return srv
}

// logErrorLines logs the first error lines of a server's log, to explain a
// failure.
func logErrorLines(t *testing.T, srv *e2etest.Server) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(srv.Logs(), "\n") {
		if entries, _ := logEntries(line); len(entries) == 1 && entries[0].Level == "error" && n < 10 {
			t.Logf("%s logged: %s", srv.URL, line)
			n++
		}
	}
}

// kill ends a server with SIGKILL and waits for it to exit.
func (st *composeStack) kill(t *testing.T, srv *e2etest.Server) {
	t.Helper()
	st.killed[srv] = true
	if err := srv.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
}

// listeners returns the backend PIDs of the change-feed connections to the
// stack's database.
func (st *composeStack) listeners(t *testing.T) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pids []int
	if err := st.admin.SelectContext(ctx, &pids,
		`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 ORDER BY pid`,
		st.backend.database, listenerApplicationName); err != nil {
		t.Fatalf("reading pg_stat_activity: %v", err)
	}
	return pids
}

// terminateListeners ends every change-feed connection to the database and
// waits until as many new ones are connected.
func (st *composeStack) terminateListeners(t *testing.T) {
	t.Helper()
	old := st.listeners(t)
	for _, pid := range old {
		var ok bool
		if err := st.admin.Get(&ok, `SELECT pg_terminate_backend($1)`, pid); err != nil || !ok {
			t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
		}
	}
	var now []int
	if !waitFor(20*time.Second, func() bool {
		now = st.listeners(t)
		return len(now) == len(old) && !slices.ContainsFunc(now, func(pid int) bool { return slices.Contains(old, pid) })
	}) {
		t.Fatalf("after ending the change feeds %v, the connections are %v; want %d new ones", old, now, len(old))
	}
}

// auditVerifyCommand runs `configmat audit verify --tenant slug` with the
// servers' settings and fails t unless it exits 0.
func (st *composeStack) auditVerifyCommand(t *testing.T, slug string) {
	t.Helper()
	code, out, errOut := e2etest.Run(t, e2etest.Options{Env: st.env, Args: []string{"audit", "verify", "--tenant", slug}}, "")
	if code != 0 {
		t.Errorf("configmat audit verify --tenant %s exited %d: %s%s", slug, code, out, errOut)
	}
}
