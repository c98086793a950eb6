package stack

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	// The PostgreSQL driver, to wait until the server accepts connections.
	_ "github.com/lib/pq"
)

// Postgres is a private PostgreSQL cluster (initdb in a temporary folder,
// on 127.0.0.1 and a free port) that a test may stop and start again. As in
// the postgres image, connections over TCP authenticate with SCRAM-SHA-256;
// its superuser is postgres, with a random password.
type Postgres struct {
	// Addr is where it listens, 127.0.0.1:port.
	Addr string

	password string
	bin      string
	user     *User
	data     string
	sock     string
	port     int
	proc     *process
}

// StartPostgres creates a cluster as u and starts it; it is stopped when t
// ends.
func StartPostgres(t testing.TB, u *User) *Postgres {
	t.Helper()
	bin := postgresBinDir(t)
	dir := u.TempDir(t)
	p := &Postgres{bin: bin, user: u, data: filepath.Join(dir, "data"), sock: dir, port: FreePort(t), password: randomHex(t, 16)}
	p.Addr = "127.0.0.1:" + strconv.Itoa(p.port)
	pwfile := filepath.Join(dir, "superuser-password")
	writeFileAs(t, u, pwfile, p.password+"\n")
	initdb := u.Command(filepath.Join(bin, "initdb"), "--pgdata", p.data, "--username", "postgres", "--pwfile", pwfile,
		"--auth-local", "trust", "--auth-host", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("stack: initdb: %v\n%s", err, out)
	}
	t.Cleanup(p.Stop)
	p.Start(t)
	return p
}

// postgresBinDir returns the folder of the newest PostgreSQL's programs
// (Debian: /usr/lib/postgresql/N/bin), or the one of initdb in PATH.
func postgresBinDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := exec.LookPath(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return filepath.Dir(findProgram(t, "initdb"))
}

// versionOf returns the major version in a path /usr/lib/postgresql/N/bin.
func versionOf(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start starts the server (again) and waits until it accepts connections.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	if p.proc != nil && p.proc.running() {
		t.Fatal("stack: postgres is already running")
	}
	cmd := p.user.Command(filepath.Join(p.bin, "postgres"), "-D", p.data, "-p", strconv.Itoa(p.port),
		"-k", p.sock, "-c", "listen_addresses=127.0.0.1")
	var err error
	if p.proc, err = startProcess(cmd); err != nil {
		t.Fatalf("stack: starting postgres: %v", err)
	}
	if !WaitFor(60*time.Second, func() bool { return p.proc.running() && p.ping() == nil }) {
		t.Fatalf("stack: postgres did not accept connections on %s within 60s: %v; its log:\n%s", p.Addr, p.ping(), p.proc.logs())
	}
}

// Stop shuts the server down (fast shutdown: open sessions are ended and
// their transactions rolled back) and waits for it to exit.
func (p *Postgres) Stop() {
	if p.proc != nil {
		p.proc.signal(syscall.SIGINT)
	}
}

// Logs returns what the server logged so far, over every start.
func (p *Postgres) Logs() string {
	if p.proc == nil {
		return ""
	}
	return p.proc.logs()
}

// SuperuserURL returns the URL of database db as the superuser.
func (p *Postgres) SuperuserURL(db string) string {
	return p.URL("postgres", p.password, db, nil)
}

// SuperuserPassword is the superuser's random password.
func (p *Postgres) SuperuserPassword() string { return p.password }

// URL returns the URL of database db as user with password, with query's
// options (sslmode=disable unless query sets it).
func (p *Postgres) URL(user, password, db string, query url.Values) string {
	q := url.Values{"sslmode": {"disable"}}
	for k, v := range query {
		q[k] = v
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: p.Addr, Path: "/" + db, RawQuery: q.Encode()}
	return u.String()
}

// ping connects as the superuser.
func (p *Postgres) ping() error {
	db, err := sql.Open("postgres", p.SuperuserURL("postgres")+"&connect_timeout=2")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// RunFile runs an SQL file with psql as the superuser, stopping at the
// first error.
func (p *Postgres) RunFile(t testing.TB, path string) {
	t.Helper()
	// #nosec G204 -- psql of the cluster's own installation, on a file of the repository.
	cmd := exec.Command(filepath.Join(p.bin, "psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
		"--file", path, p.SuperuserURL("postgres"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("stack: psql --file %s: %v\n%s", filepath.Base(path), err, out)
	}
}

// randomHex returns n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
