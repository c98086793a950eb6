package ops

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/stack"
)

// TestMakeRunServesTheConsole runs the README's first command as a user
// would, on a fresh clone of the code under test: `make run`, with nothing
// but Go (no database, no Redis, no key), serves the API and the web
// console; SIGTERM stops it. Only the port is the test's (LISTEN_ADDR),
// so that it can run beside anything on 8080.
func TestMakeRunServesTheConsole(t *testing.T) {
	clone := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", e2etest.ModuleRoot(), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	port := stack.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("make", "run")
	cmd.Dir = clone
	env := []string{"LISTEN_ADDR=" + addr}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY", "DEBUG", "LISTEN_ADDR":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out := &e2etest.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+path, nil)
		if err != nil {
			return nil, err
		}
		return client.Do(req)
	}
	if !stack.WaitFor(5*time.Minute, func() bool {
		resp, err := get("/health")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}) {
		t.Fatalf("make run did not serve /health within 5 minutes:\n%s", out)
	}

	resp, err := get("/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("GET / answered %d, Location %q; want 302 to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = get("/console/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != http.StatusOK ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("GET /console/ answered %d, %s, CSP %q", resp.StatusCode, resp.Header.Get("Content-Type"), csp)
	}
	if !strings.Contains(out.String(), "DO NOT USE IN PRODUCTION") {
		t.Errorf("make run did not warn that it runs in development mode:\n%s", out)
	}

	stopped = true
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(45 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Fatalf("make run did not stop within 45 s of SIGTERM:\n%s", out)
	}
}
