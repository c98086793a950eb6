package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// clusterBin is where Debian installs PostgreSQL 15's server programs.
const clusterBin = "/usr/lib/postgresql/15/bin"

// Cluster is a private PostgreSQL server that a test starts for itself, for
// what the shared server cannot show: password authentication (the shared
// one trusts every local connection) and a server without TLS. Its
// superuser is "postgres" with Password; it listens on 127.0.0.1:Port.
type Cluster struct {
	Port     int
	Password string
	dir      string
	runAs    []string
}

// StartCluster initializes and starts a cluster in a temporary folder with
// scram-sha-256 authentication for TCP connections and ssl off, and stops
// and removes it when t ends. PostgreSQL refuses to run as root, so as root
// it runs as the user nobody. Without the server programs it skips t,
// unless CI=true, where it fails.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(clusterBin, "initdb")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: no PostgreSQL server programs in %s", clusterBin)
		}
		t.Skipf("pgtest: no PostgreSQL server programs in %s", clusterBin)
	}
	dir, err := os.MkdirTemp("", "configmat-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	c := &Cluster{Password: randomHex(12), dir: dir, Port: freePort(t)}
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("pgtest: running PostgreSQL as root needs the user nobody: %v", err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.runAs = []string{"runuser", "-u", "nobody", "--"}
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.Password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run(t, filepath.Join(clusterBin, "initdb"), "-D", c.data(), "-U", "postgres", "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync")
	c.Start(t)
	t.Cleanup(func() { c.Stop(t) })
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c ssl=off -c fsync=off", c.Port, c.dir)
	c.run(t, filepath.Join(clusterBin, "pg_ctl"), "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
}

// Stop stops the server (fast shutdown) if it runs.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	cmd := c.command(filepath.Join(clusterBin, "pg_ctl"), "-D", c.data(), "-m", "fast", "-w", "status")
	if cmd.Run() != nil {
		return
	}
	c.run(t, filepath.Join(clusterBin, "pg_ctl"), "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop")
}

// URL returns the URL of database as user with password (sslmode=disable
// unless query sets it).
func (c *Cluster) URL(user, password, database string, query url.Values) string {
	if query == nil {
		query = url.Values{}
	}
	if query.Get("sslmode") == "" {
		query.Set("sslmode", "disable")
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), Path: "/" + database, RawQuery: query.Encode()}
	return u.String()
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, c.runAs...), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd
}

func (c *Cluster) run(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.command(name, args...)
	cmd = exec.CommandContext(ctx, cmd.Args[0], cmd.Args[1:]...)
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("pgtest: %s: %v\n%s\n%s", filepath.Base(name), err, out, log)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
