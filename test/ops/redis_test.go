package ops

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/configmat/configmat/test/stack"
)

const (
	// envRedisURL names the variable holding the Redis the tests share.
	envRedisURL = "CONFIGMAT_TEST_REDIS_URL"
	// defaultRedisURL is used when envRedisURL is unset.
	defaultRedisURL = "redis://127.0.0.1:6379/0"
	// opsRedisDB is the Redis database this package counts in, apart from
	// the database of CONFIGMAT_TEST_REDIS_URL that other suites use.
	// Anonymous counters are further kept apart by a random client IP per
	// test (loopbackClient), so concurrent runs never share a counter.
	opsRedisDB = 13
)

// sharedRedisURL returns the URL of the shared Redis, switched to
// opsRedisDB. An unreachable Redis skips t (fails it when CI=true).
func sharedRedisURL(t *testing.T) string {
	t.Helper()
	raw := os.Getenv(envRedisURL)
	if raw == "" {
		raw = defaultRedisURL
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("%s is not a redis:// URL: %v", envRedisURL, err)
	}
	opts.DB = opsRedisDB
	if err := ping(opts); err != nil {
		missingService(t, "no Redis: set "+envRedisURL+" to a reachable redis:// URL whose server has database "+
			strconv.Itoa(opsRedisDB)+" ("+err.Error()+")")
	}
	return redisURL(opts)
}

// ping checks that the Redis of opts answers. A plain TCP dial comes first
// so that an absent server does not make go-redis log its dial retries.
func ping(opts *redis.Options) error {
	conn, err := net.DialTimeout("tcp", opts.Addr, 3*time.Second)
	if err != nil {
		return err
	}
	_ = conn.Close()
	client := redis.NewClient(opts)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return client.Ping(ctx).Err()
}

// redisURL writes opts back as a redis:// URL.
func redisURL(opts *redis.Options) string {
	auth := ""
	if opts.Username != "" || opts.Password != "" {
		auth = opts.Username + ":" + opts.Password + "@"
	}
	scheme := "redis://"
	if opts.TLSConfig != nil {
		scheme = "rediss://"
	}
	return scheme + auth + opts.Addr + "/" + strconv.Itoa(opts.DB)
}

// ownRedis is a redis-server child process that a test may kill.
type ownRedis struct {
	URL  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startOwnRedis starts a private redis-server on a free port, stopped when t
// ends. Without redis-server in PATH, t is skipped (failed when CI=true).
func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	port := freePort(t)
	r := &ownRedis{URL: "redis://127.0.0.1:" + strconv.Itoa(port) + "/0", port: port}
	r.start(t)
	t.Cleanup(r.Kill)
	return r
}

// Restart starts the killed server again on its port, empty.
func (r *ownRedis) Restart(t *testing.T) {
	t.Helper()
	r.Kill()
	r.start(t)
}

// start runs redis-server on r's port and waits until it answers.
func (r *ownRedis) start(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missingService(t, "no redis-server in PATH: this test starts and kills its own Redis")
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no")
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	r.cmd, r.done = cmd, done
	go func() { _ = cmd.Wait(); close(done) }()
	opts, _ := redis.ParseURL(r.URL)
	if !waitFor(10*time.Second, func() bool { return ping(opts) == nil }) {
		t.Fatalf("redis-server on port %d did not answer within 10s", r.port)
	}
}

// Kill stops the server at once (SIGKILL) and waits for it to exit.
func (r *ownRedis) Kill() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int { t.Helper(); return stack.FreePort(t) }

// missingService fails t when CI=true, else skips it; reason names what
// is missing and the variable (or program) that provides it.
func missingService(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}
