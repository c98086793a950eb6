package ops

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/stack"
)

// refusalTimeout bounds how long a server that must refuse to start may run.
const refusalTimeout = 60 * time.Second

// embeddedEnv returns production-like settings for the embedded store (a
// fixed ENCRYPTION_KEY, no debug mode, signup on) with extra merged in.
func embeddedEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{"ENCRYPTION_KEY": newEncryptionKey(t), "ALLOW_SIGNUP": "true"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// exitResult is how a one-shot run of the binary ended.
type exitResult struct {
	code   int
	stdout string
	stderr string
}

// runServe runs `configmat serve` in dir with env and waits for it to exit;
// a server that is still running after refusalTimeout is killed and fails t.
func runServe(t *testing.T, dir string, env map[string]string) exitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), refusalTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2etest.Binary(t), "serve")
	cmd.Dir = dir
	cmd.Env = e2etest.Environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("configmat serve was still running after %s; stdout:\n%s\nstderr:\n%s", refusalTimeout, stdout.String(), stderr.String())
	}
	return exitResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// startServer starts `configmat serve` like e2etest.Start and, when t ends,
// stops it and checks that it exited 0 without a panic or a data race (the
// harness builds the binary with -race).
func startServer(t *testing.T, o e2etest.Options) *e2etest.Server {
	t.Helper()
	srv := e2etest.Start(t, o)
	t.Cleanup(func() {
		if code := srv.Stop(t); code != 0 {
			t.Errorf("exit status after SIGTERM %d, want 0; log:\n%s", code, srv.Logs())
		}
		if sign := panicSign(srv.Logs()); sign != "" {
			t.Errorf("the server's log shows %q:\n%s", sign, srv.Logs())
		}
	})
	return srv
}

// requireAlive fails t unless the server still answers its liveness probe.
func requireAlive(t *testing.T, srv *e2etest.Server) {
	t.Helper()
	resp, body := srv.Do(t, http.MethodGet, "/health", nil, nil)
	requireStatus(t, resp, body, http.StatusOK)
}

// healthDetailed is the answer of GET /health/detailed.
type healthDetailed struct {
	Status string                    `json:"status"`
	Checks map[string]map[string]any `json:"checks"`
}

// detailedHealth reads GET /health/detailed whatever its status.
func detailedHealth(t *testing.T, srv *e2etest.Server) healthDetailed {
	t.Helper()
	_, body := srv.Do(t, http.MethodGet, "/health/detailed", nil, nil)
	return decode[healthDetailed](t, body)
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool { return stack.WaitFor(timeout, cond) }
