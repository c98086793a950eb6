package postgres_test

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/test/pgtest"
)

func TestOpenRefusesBadConfig(t *testing.T) {
	valid := postgres.Config{URL: "postgres://app:pw@127.0.0.1:1/db", PoolSize: 1}
	cases := []struct {
		name  string
		tune  func(*postgres.Config)
		field string
	}{
		{"NoURL", func(c *postgres.Config) { c.URL = "" }, "url"},
		{"NoPool", func(c *postgres.Config) { c.PoolSize = 0 }, "pool_size"},
		{"NegativeOverflow", func(c *postgres.Config) { c.MaxOverflow = -1 }, "max_overflow"},
		{"NegativeRecycle", func(c *postgres.Config) { c.Recycle = -time.Second }, "recycle"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid
			tc.tune(&c)
			_, err := postgres.Open(t.Context(), c)
			if !domain.IsKind(err, domain.KindInvalid) || !strings.Contains(detailFields(err), tc.field) {
				t.Fatalf("Open = %v, want VALIDATION_ERROR naming %s", err, tc.field)
			}
		})
	}
}

func detailFields(err error) string {
	b, _ := json.Marshal(err.(*domain.Error).Details)
	return string(b)
}

func TestOpenUnreachableHidesTheURL(t *testing.T) {
	const password = "hunter2-secret"
	_, err := postgres.Open(t.Context(), postgres.Config{
		URL: "postgres://app:" + password + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", PoolSize: 1,
	})
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("Open = %v, want SERVICE_UNAVAILABLE", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("the error reveals the password: %v", err)
	}
}

func TestCanBypassRLS(t *testing.T) {
	db := pgtest.New(t)
	directory := pq.QuoteIdentifier(postgres.DirectoryRole)
	owner := pq.QuoteIdentifier(db.OwnerRole)
	// login creates a login role with the given attributes and returns its URL;
	// group creates a NOLOGIN role and returns its quoted name. Both are
	// dropped when the test ends.
	login := func(t *testing.T, attributes string) string {
		t.Helper()
		return loginURL(t, db, createRole(t, db, "login", "LOGIN PASSWORD 'login-password' "+attributes))
	}
	group := func(t *testing.T, attributes string) string {
		t.Helper()
		return createRole(t, db, "group", "NOLOGIN "+attributes)
	}
	cases := []struct {
		name string
		url  func(t *testing.T) string
		want bool
	}{
		{"ApplicationRole", func(*testing.T) string { return db.AppURL }, false},
		{"MemberOfApplicationGroupOnly", func(t *testing.T) string {
			return login(t, "NOBYPASSRLS IN ROLE "+group(t, "IN ROLE "+postgres.ApplicationRole))
		}, false},
		{"Owner", func(*testing.T) string { return db.OwnerURL }, true},
		{"Superuser", func(*testing.T) string { return db.AdminURL }, true},
		{"BypassRLS", func(t *testing.T) string { return login(t, "BYPASSRLS") }, true},
		{"MemberOfOwner", func(t *testing.T) string { return login(t, "NOBYPASSRLS IN ROLE "+owner) }, true},
		{"NoInheritMemberOfOwner", func(t *testing.T) string { return login(t, "NOINHERIT IN ROLE "+owner) }, true},
		{"MemberOfDirectory", func(t *testing.T) string { return login(t, "NOBYPASSRLS IN ROLE "+directory) }, true},
		{"IndirectMemberOfDirectory", func(t *testing.T) string {
			return login(t, "NOBYPASSRLS IN ROLE "+group(t, "IN ROLE "+directory))
		}, true},
		{"MemberOfBypassRLSGroup", func(t *testing.T) string {
			return login(t, "NOBYPASSRLS IN ROLE "+group(t, "BYPASSRLS"))
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := db.Store(t, func(c *postgres.Config) { c.URL = tc.url(t) })
			got, err := store.CanBypassRLS(t.Context())
			if err != nil || got != tc.want {
				t.Fatalf("CanBypassRLS = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	db := pgtest.New(t)
	store := db.Store(t, func(c *postgres.Config) { c.PoolSize, c.MaxOverflow = 3, 2 })
	report := store.Health(t.Context())
	if report["status"] != "healthy" || report["bypasses_rls"] != false {
		t.Errorf("Health = %v, want healthy and not bypassing row-level security", report)
	}
	pool, _ := report["pool"].(map[string]any)
	for _, key := range []string{"open", "in_use", "idle", "max_open", "wait_count"} {
		if _, ok := pool[key]; !ok {
			t.Errorf("pool lacks %q: %v", key, report)
		}
	}
	if pool["max_open"] != 5 {
		t.Errorf("pool max_open = %v, want 5", pool["max_open"])
	}
	if _, ok := report["latency_ms"].(float64); !ok {
		t.Errorf("latency_ms = %v, want a number", report["latency_ms"])
	}
	assertNoSecrets(t, report, db.AppURL)

	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	down := store.Health(t.Context())
	if down["status"] != "unhealthy" {
		t.Errorf("Health of a closed store = %v, want unhealthy", down)
	}
	if _, ok := down["bypasses_rls"]; ok {
		t.Errorf("Health of a closed store claims to know bypasses_rls: %v", down)
	}
	assertNoSecrets(t, down, db.AppURL)
}

// assertNoSecrets fails t when the report mentions the URL, its user or
// password, or an error.
func assertNoSecrets(t *testing.T, report map[string]any, rawURL string) {
	t.Helper()
	b, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(rawURL)
	password, _ := u.User.Password()
	for _, secret := range []string{rawURL, u.User.Username(), password, "sql:", "pq:"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("health report %s contains %q", b, secret)
		}
	}
}

// createRole creates the role <owner>_<suffix> with the given attributes as
// the superuser, dropped when t ends, and returns its quoted name.
func createRole(t *testing.T, db *pgtest.DB, suffix, attributes string) string {
	t.Helper()
	admin := db.Admin(t)
	role := pq.QuoteIdentifier(db.OwnerRole + "_" + suffix)
	if _, err := admin.ExecContext(t.Context(), `CREATE ROLE `+role+` `+attributes); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP ROLE ` + role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	return role
}

// loginURL returns the URL of the package's database for the login role
// quotedRole (made by createRole, with password login-password).
func loginURL(t *testing.T, db *pgtest.DB, quotedRole string) string {
	t.Helper()
	u, err := url.Parse(db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(strings.Trim(quotedRole, `"`), "login-password")
	return u.String()
}

// databaseURL returns rawURL naming the database name instead.
func databaseURL(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// dsnRecorder is lib/pq's driver, recording the connection strings it is
// asked to open.
type dsnRecorder struct {
	mu   sync.Mutex
	dsns []string
}

func (d *dsnRecorder) Open(dsn string) (driver.Conn, error) {
	d.mu.Lock()
	d.dsns = append(d.dsns, dsn)
	d.mu.Unlock()
	return pq.Driver{}.Open(dsn)
}

// recorder is registered once for the package's tests.
var recorder = func() *dsnRecorder {
	r := &dsnRecorder{}
	sql.Register("configmat-dsn-recorder", r)
	return r
}()

// TestOpenSendsBinaryParameters checks, on the connections the store really
// opens, that a DATABASE_URL without binary_parameters is opened with it
// on, and one that turns it off keeps it off.
func TestOpenSendsBinaryParameters(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	sep := "?"
	if strings.Contains(db.AppURL, "?") {
		sep = "&"
	}
	for _, c := range []struct {
		url  string
		want bool
	}{{db.AppURL, true}, {db.AppURL + sep + "binary_parameters=no", false}} {
		recorder.mu.Lock()
		recorder.dsns = nil
		recorder.mu.Unlock()
		store, err := postgres.Open(t.Context(), postgres.Config{URL: c.url, DriverName: "configmat-dsn-recorder", PoolSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		_ = store.Close()
		recorder.mu.Lock()
		dsns := slices.Clone(recorder.dsns)
		recorder.mu.Unlock()
		if len(dsns) == 0 {
			t.Fatal("the store opened no connection")
		}
		for _, dsn := range dsns {
			cfg, err := pq.NewConfig(dsn)
			if err != nil || cfg.BinaryParameters != c.want {
				t.Errorf("URL binary_parameters=%v case: a connection was opened with binary_parameters %v (%v), want %v", c.want, cfg.BinaryParameters, err, c.want)
			}
		}
	}
}
