package stack

import (
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncerConfig is what the edoburu/pgbouncer image writes into
// pgbouncer.ini from its environment, less where it listens and its files,
// which the test chooses.
type PgBouncerConfig struct {
	// Database is the one database it serves (DB_NAME), under its own name.
	Database string
	// Host and Port are the PostgreSQL server's (DB_HOST, DB_PORT).
	Host string
	Port string
	// User and Password are the role of the auth_file and the database's
	// auth_user (DB_USER, DB_PASSWORD).
	User     string
	Password string
	// Settings are the [pgbouncer] settings, by their name in the ini file.
	Settings map[string]string
}

// pgbouncerSettings are the image's variables that become a [pgbouncer]
// setting of the same name in lower case. A variable of the file that is
// neither one of these nor one of connectionVariables fails the harness, so
// that no setting of the file goes untested.
var pgbouncerSettings = []string{
	"AUTH_TYPE", "AUTH_USER", "AUTH_QUERY", "POOL_MODE", "MAX_CLIENT_CONN",
	"DEFAULT_POOL_SIZE", "MIN_POOL_SIZE", "RESERVE_POOL_SIZE", "RESERVE_POOL_TIMEOUT",
	"MAX_DB_CONNECTIONS", "MAX_USER_CONNECTIONS", "SERVER_ROUND_ROBIN",
	"IGNORE_STARTUP_PARAMETERS", "DISABLE_PQEXEC", "APPLICATION_NAME_ADD_HOST",
	"MAX_PREPARED_STATEMENTS", "LOG_CONNECTIONS", "LOG_DISCONNECTIONS",
	"LOG_POOLER_ERRORS", "LOG_STATS", "STATS_PERIOD", "VERBOSE", "ADMIN_USERS",
	"STATS_USERS", "SERVER_RESET_QUERY", "SERVER_RESET_QUERY_ALWAYS",
	"SERVER_CHECK_DELAY", "SERVER_CHECK_QUERY", "SERVER_LIFETIME",
	"SERVER_IDLE_TIMEOUT", "SERVER_CONNECT_TIMEOUT", "SERVER_LOGIN_RETRY",
	"CLIENT_LOGIN_TIMEOUT", "AUTODB_IDLE_TIMEOUT", "DNS_MAX_TTL", "DNS_NXDOMAIN_TTL",
	"QUERY_TIMEOUT", "QUERY_WAIT_TIMEOUT", "CLIENT_IDLE_TIMEOUT",
	"IDLE_TRANSACTION_TIMEOUT", "PKT_BUF", "MAX_PACKET_SIZE", "LISTEN_BACKLOG",
	"SBUF_LOOPCNT", "SUSPEND_TIMEOUT", "TCP_DEFER_ACCEPT", "TCP_KEEPALIVE",
	"TCP_KEEPCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_USER_TIMEOUT",
}

// connectionVariables name the server, the database and the role, which the
// test maps to its own, and where PgBouncer listens, which the test chooses.
var connectionVariables = []string{"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "LISTEN_ADDR", "LISTEN_PORT"}

// pgbouncerDefaults are the settings the image writes when their variable
// is unset.
var pgbouncerDefaults = map[string]string{
	"auth_type":                 "md5",
	"ignore_startup_parameters": "extra_float_digits",
	"admin_users":               "postgres",
}

// PgBouncerFromCompose reads a pgbouncer service's environment as the image
// does, with the server, database and role mapped by m.
func PgBouncerFromCompose(env Environment, m Mapping) (PgBouncerConfig, error) {
	settings := maps.Clone(pgbouncerDefaults)
	for k, v := range env {
		switch {
		case slices.Contains(pgbouncerSettings, k):
			settings[strings.ToLower(k)] = v
		case slices.Contains(connectionVariables, k):
		default:
			return PgBouncerConfig{}, fmt.Errorf("the pgbouncer service sets %s, which the test harness does not apply: teach test/stack how the image uses it", k)
		}
	}
	host, ok := m.Hosts[env["DB_HOST"]]
	if !ok {
		return PgBouncerConfig{}, fmt.Errorf("DB_HOST %q names no service the test runs", env["DB_HOST"])
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return PgBouncerConfig{}, err
	}
	if p := env["DB_PORT"]; p != "" && p != "5432" {
		return PgBouncerConfig{}, fmt.Errorf("DB_PORT %s: the test maps the server's address as a whole; leave DB_PORT at 5432", p)
	}
	db, err := m.database(cmpOr(env["DB_NAME"], "*"))
	if err != nil {
		return PgBouncerConfig{}, err
	}
	user, password, err := m.user(cmpOr(env["DB_USER"], "postgres"), env["DB_PASSWORD"])
	if err != nil {
		return PgBouncerConfig{}, err
	}
	return PgBouncerConfig{Database: db, Host: h, Port: port, User: user, Password: password, Settings: settings}, nil
}

// cmpOr returns v, or def when v is empty.
func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ini is the configuration file for PgBouncer listening on port, with its
// auth_file at authFile. Like the image, the database line names the
// database under its own name with an auth_user, and no Unix socket is
// opened. What differs from the image, and why: it listens on 127.0.0.1 and
// a free port (the image: 0.0.0.0:5432), so that tests on one machine never
// meet; and there is no "user = postgres" line, as the harness starts it as
// the unprivileged user itself.
func (c PgBouncerConfig) ini(port int, authFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[databases]\n%s = host=%s port=%s auth_user=%s\n\n[pgbouncer]\n", c.Database, c.Host, c.Port, c.User)
	fmt.Fprintf(&b, "listen_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\nauth_file = %s\n", port, authFile)
	for _, k := range slices.Sorted(maps.Keys(c.Settings)) {
		fmt.Fprintf(&b, "%s = %s\n", k, c.Settings[k])
	}
	return b.String()
}

// PgBouncer is a pgbouncer process the test may kill and start again.
type PgBouncer struct {
	// Addr is where it listens, 127.0.0.1:port.
	Addr string
	// Config is what it runs with.
	Config PgBouncerConfig

	bin  string
	user *User
	ini  string
	proc *process
}

// StartPgBouncer runs pgbouncer as u with c on a free port of 127.0.0.1
// and waits until it accepts connections; it is killed when t ends.
func StartPgBouncer(t testing.TB, u *User, c PgBouncerConfig) *PgBouncer {
	t.Helper()
	bin := findProgram(t, "pgbouncer", "/usr/sbin/pgbouncer")
	dir := u.TempDir(t)
	authFile := filepath.Join(dir, "userlist.txt")
	// The image writes DB_PASSWORD in clear for scram-sha-256 and plain; a
	// clear password serves md5 too.
	writeFileAs(t, u, authFile, fmt.Sprintf("%q %q\n", c.User, c.Password))
	port := FreePort(t)
	b := &PgBouncer{Addr: "127.0.0.1:" + strconv.Itoa(port), Config: c, bin: bin, user: u, ini: filepath.Join(dir, "pgbouncer.ini")}
	writeFileAs(t, u, b.ini, c.ini(port, authFile))
	t.Cleanup(b.Kill)
	b.Start(t)
	return b
}

// Start starts pgbouncer again after Kill, on the same port, and waits until
// it accepts connections.
func (b *PgBouncer) Start(t testing.TB) {
	t.Helper()
	if b.proc != nil && b.proc.running() {
		t.Fatal("stack: pgbouncer is already running")
	}
	var err error
	if b.proc, err = startProcess(b.user.Command(b.bin, b.ini)); err != nil {
		t.Fatalf("stack: starting pgbouncer: %v", err)
	}
	if !WaitFor(20*time.Second, func() bool { return b.proc.running() && dialable(b.Addr) }) {
		t.Fatalf("stack: pgbouncer did not listen on %s within 20s; its log:\n%s", b.Addr, b.proc.logs())
	}
}

// Kill stops pgbouncer at once (SIGKILL) and waits for it to exit.
func (b *PgBouncer) Kill() {
	if b.proc != nil {
		b.proc.signal(syscall.SIGKILL)
	}
}

// Logs returns what pgbouncer logged so far, over every start.
func (b *PgBouncer) Logs() string {
	if b.proc == nil {
		return ""
	}
	return b.proc.logs()
}

// dialable reports whether a TCP connection to addr opens.
func dialable(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// findProgram returns the path of a program from PATH or one of the given
// places; a missing program skips t (fails it when CI=true).
func findProgram(t testing.TB, name string, places ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range places {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	missing(t, "no "+name+" in PATH or "+strings.Join(places, ", ")+" (Debian: apt-get install "+name+"; .ci/run installs it)")
	return ""
}

// missing fails t when CI=true, else skips it.
func missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal("stack: " + reason)
	}
	t.Skip("stack: " + reason)
}

// WaitFor polls cond every 20ms until it holds or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
