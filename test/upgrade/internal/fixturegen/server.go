package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// oldServer is the old release's `configmat serve`.
type oldServer struct {
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
	done chan error
}

// baseEnv is the environment every old-release command gets: nothing from
// the caller's but PATH and HOME, so that no stray setting (REDIS_URL, ...)
// changes what is written.
func baseEnv(settings map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}

// runOld runs one old-release command to its end, with stdin as its input.
func runOld(ctx context.Context, binary string, settings map[string]string, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binary, args...) // #nosec G204 -- the old release's binary the developer names
	cmd.Env = baseEnv(settings)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("configmat %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// startOld starts `configmat serve` on a free loopback port with settings
// and waits until GET /health answers.
func startOld(ctx context.Context, binary string, settings map[string]string) (*oldServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := map[string]string{
		"LISTEN_ADDR":              addr,
		"TOKEN_TTL":                "876000h",
		"RATE_LIMIT_ANON":          "100000/hour",
		"RATE_LIMIT_USER":          "100000/hour",
		"RATE_LIMIT_API_KEY":       "100000/hour",
		"RATE_LIMIT_API_KEY_BURST": "100000/minute",
		"LOG_LEVEL":                "warn",
	}
	for k, v := range settings {
		s[k] = v
	}
	var log bytes.Buffer
	cmd := exec.Command(binary, "serve")
	cmd.Env = baseEnv(s)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	srv := &oldServer{cmd: cmd, base: "http://" + addr, log: &log, done: make(chan error, 1)}
	go func() { srv.done <- cmd.Wait() }()
	if err := srv.waitHealthy(ctx); err != nil {
		_ = srv.stop()
		return nil, fmt.Errorf("%w; log: %s", err, log.String())
	}
	return srv, nil
}

// waitHealthy polls GET /health for up to 30 seconds.
func (s *oldServer) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("the old server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(s.base + "/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("the old server did not become healthy in 30 s")
}

// stop ends the server with SIGTERM (SIGKILL after 30 s) and waits for it.
func (s *oldServer) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("the old server ignored SIGTERM: %v", <-s.done)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
