package ops

import (
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/stack"
)

// requireRefused fails t unless the run exited non-zero without listening
// and its stderr names want.
func requireRefused(t *testing.T, res exitResult, want string) {
	t.Helper()
	if res.code == 0 {
		t.Fatalf("configmat serve exited 0, want a refusal; stderr:\n%s", res.stderr)
	}
	if strings.Contains(res.stdout, "listening") {
		t.Fatalf("configmat serve listened before refusing; stdout:\n%s", res.stdout)
	}
	if !strings.Contains(res.stderr, want) {
		t.Fatalf("stderr does not contain %q:\n%s", want, res.stderr)
	}
	requireNoPanic(t, res.stderr)
}

// TestMissingEncryptionKey: outside development mode the server refuses to
// start without ENCRYPTION_KEY and generates no key of its own.
func TestMissingEncryptionKey(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{name: "no settings at all", env: map[string]string{}},
		{name: "DEBUG=false", env: map[string]string{"DEBUG": "false"}},
		{name: "a blank key", env: map[string]string{"DEBUG": "false", "ENCRYPTION_KEY": "  "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			requireRefused(t, runServe(t, dir, tt.env), "ENCRYPTION_KEY must be set")
			_, err := os.Stat(filepath.Join(dir, "data", "dev-encryption.key"))
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a development key was written without DEBUG=true (stat: %v)", err)
			}
		})
	}
}

// TestWrongEncryptionKey: a key that does not decrypt the existing data
// stops the server at start, naming ENCRYPTION_KEY; the right key still works.
func TestWrongEncryptionKey(t *testing.T) {
	dir := t.TempDir()
	keyA := embeddedEnv(t, nil)
	first := startServer(t, e2etest.Options{Env: keyA, Dir: dir})
	acct := registerAccount(t, first)
	acct.createAsset(t, "billing")
	acct.must(t, http.StatusOK, http.MethodPatch, apiBase+"/assets/billing/environments/local", map[string]any{
		"set": map[string]any{"database": map[string]any{"password": map[string]any{"value": "kept-secret", "secret": true}}},
	})
	key := acct.createAPIKey(t, "sdk", "local")
	if code := first.Stop(t); code != 0 {
		t.Fatalf("exit status after SIGTERM %d, want 0", code)
	}

	keyB := embeddedEnv(t, nil)
	requireRefused(t, runServe(t, dir, keyB), "ENCRYPTION_KEY")

	again := startServer(t, e2etest.Options{Env: keyA, Dir: dir})
	resp, body := readWithKey(t, again, key.Key, "billing", "local")
	requireStatus(t, resp, body, http.StatusOK)
	if got := decode[resolved](t, body); got.Config["database"]["password"] != "kept-secret" {
		t.Fatalf("with the right key again, the secret reads %s", body)
	}
}

// TestMalformedSetting: a bad setting stops the server with one line naming
// the setting.
func TestMalformedSetting(t *testing.T) {
	tests := []struct{ name, value string }{
		{"DB_POOL_SIZE", "abc"},
		{"DB_MAX_OVERFLOW", "-1"},
		{"DB_POOL_RECYCLE", "soon"},
		{"RATE_LIMIT_ANON", "lots"},
		{"RATE_LIMIT_API_KEY_BURST", "100/fortnight"},
		{"TRUSTED_PROXIES", "not-a-cidr"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"DEBUG", "maybe"},
		{"TOKEN_TTL", "forever"},
		{"DATABASE_URL", "mysql://db/configmat"},
		{"REDIS_URL", "127.0.0.1:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runServe(t, t.TempDir(), embeddedEnv(t, map[string]string{tt.name: tt.value}))
			requireRefused(t, res, tt.name)
			if lines := linesContaining(res.stderr, tt.name); len(lines) != 1 {
				t.Fatalf("%d stderr lines name %s, want exactly one:\n%s", len(lines), tt.name, res.stderr)
			}
		})
	}
}

// requireOneLine fails t unless stderr is exactly one line, which names
// setting and says want, and holds none of the secrets.
func requireOneLine(t *testing.T, res exitResult, setting, want string, secrets ...string) {
	t.Helper()
	t.Logf("stderr: %s", res.stderr)
	requireRefused(t, res, want)
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], setting) {
		t.Fatalf("stderr should be one line naming %s, got %d:\n%s", setting, len(lines), res.stderr)
	}
	for _, s := range secrets {
		if strings.Contains(res.stderr, s) {
			t.Fatalf("stderr holds %q:\n%s", s, res.stderr)
		}
	}
}

// TestDatabaseStartupMessages: a database that cannot be used at start
// stops serve with one line that names the real cause (a wrong password, a
// missing database, TLS refused, nothing listening), never the URL, on the
// migration's connection as on the service's.
func TestDatabaseStartupMessages(t *testing.T) {
	cluster := stack.StartPostgres(t, stack.Unprivileged(t))
	const wrongPassword = "not-the-password-4711"
	closed := "postgres://app:" + wrongPassword + "@127.0.0.1:" + strconv.Itoa(freePort(t)) + "/configmat?sslmode=disable"
	tests := []struct {
		name, url string
		migrate   bool
		setting   string
		want      string
	}{
		{"wrong password", cluster.URL("postgres", wrongPassword, "postgres", nil), false,
			"DATABASE_URL", "authentication failed: check the user name and password"},
		{"wrong password while migrating", cluster.URL("postgres", wrongPassword, "postgres", nil), true,
			"MIGRATION_DATABASE_URL", "authentication failed: check the user name and password"},
		{"missing database", cluster.URL("postgres", cluster.SuperuserPassword(), "configmat_missing_db", nil), false,
			"DATABASE_URL", "the database does not exist"},
		{"TLS refused", cluster.URL("postgres", cluster.SuperuserPassword(), "postgres", url.Values{"sslmode": {"require"}}), false,
			"DATABASE_URL", "TLS was refused"},
		{"nothing listening", closed, false,
			"DATABASE_URL", "the connection was refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := embeddedEnv(t, map[string]string{"DATABASE_URL": tt.url, "MIGRATE_ON_START": strconv.FormatBool(tt.migrate)})
			res := runServe(t, t.TempDir(), env)
			requireOneLine(t, res, tt.setting, tt.want, wrongPassword, cluster.SuperuserPassword(), "configmat_missing_db", "127.0.0.1:")
		})
	}
}

// TestRedisStartupMessages: a REDIS_URL whose database index the server
// does not have says so; a Redis port where nothing listens stops serve
// with one line, and go-redis prints nothing of its own.
func TestRedisStartupMessages(t *testing.T) {
	shared, err := redis.ParseURL(sharedRedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, url, want string }{
		{"database index out of range", "redis://" + shared.Addr + "/4711", "the database index is out of range"},
		{"nothing listening", "redis://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/0", "Redis is unreachable: the connection was refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runServe(t, t.TempDir(), embeddedEnv(t, map[string]string{"REDIS_URL": tt.url}))
			requireOneLine(t, res, "REDIS_URL", tt.want)
		})
	}
}
