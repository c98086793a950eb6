// Package e2etest starts the real configmat binary for end-to-end tests: it
// builds cmd/configmat once per test process, runs it with the settings a
// test gives on 127.0.0.1 and a free port, captures its logs, and stops it
// with SIGTERM.
package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/configmat (once per test process) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		// One binary shared by every test process: each builds to a private
		// file and renames it into place, so no run leaves a copy behind and
		// a process already running the old file keeps it.
		dir := filepath.Join(os.TempDir(), "configmat-e2e")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			buildErr = err
			return
		}
		tmp, err := os.CreateTemp(dir, "build-*")
		if err != nil {
			buildErr = err
			return
		}
		_ = tmp.Close()
		cmd := exec.Command("go", "build", "-race", "-o", tmp.Name(), "./cmd/configmat")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.Remove(tmp.Name())
			buildErr = &buildError{out: string(out), err: err}
			return
		}
		binPath = filepath.Join(dir, "configmat")
		if err := os.Rename(tmp.Name(), binPath); err != nil {
			_ = os.Remove(tmp.Name())
			buildErr = err
		}
	})
	if buildErr != nil {
		t.Fatalf("building configmat: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// moduleRoot is the repository root, two levels above this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Options start a server.
type Options struct {
	// Env holds the settings; LISTEN_ADDR defaults to 127.0.0.1:0.
	Env map[string]string
	// Dir is the working directory (the embedded store lives in Dir/data);
	// default a new temporary folder.
	Dir string
	// Args replace ["serve"].
	Args []string
}

// Server is a running configmat process.
type Server struct {
	URL string
	Dir string

	cmd    *exec.Cmd
	logs   *syncBuffer
	stdout *syncBuffer
	done   chan struct{}
	exit   int
}

var listenLine = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs `configmat serve` and waits until it says where it listens.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := start(t, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

func start(t testing.TB, o Options) (*Server, error) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	args := o.Args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = o.Dir
	cmd.Env = Environ(o.Env)
	s := &Server{Dir: o.Dir, cmd: cmd, logs: &syncBuffer{}, stdout: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.stdout.Write([]byte(line + "\n"))
			if m := listenLine.FindStringSubmatch(line); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		s.exit = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	select {
	case s.URL = <-urlCh:
		return s, nil
	case <-s.done:
		return nil, &startError{logs: s.logs.String(), code: s.exit}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, &startError{logs: s.logs.String(), code: -1}
	}
}

type startError struct {
	logs string
	code int
}

func (e *startError) Error() string {
	return "configmat did not start (exit " + strconv.Itoa(e.code) + "):\n" + e.logs
}

// Environ returns a minimal environment with the given settings, so that the
// developer's own settings never leak into a test.
func Environ(settings map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LISTEN_ADDR=127.0.0.1:0"}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}

// Run runs a one-shot subcommand and returns its exit code, stdout and stderr.
func Run(t testing.TB, o Options, stdin string) (int, string, string) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), o.Args...)
	cmd.Dir = o.Dir
	cmd.Env = Environ(o.Env)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// Stop sends SIGTERM and waits for the exit status (idempotent).
func (s *Server) Stop(t testing.TB) int {
	t.Helper()
	select {
	case <-s.done:
		return s.exit
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(45 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("configmat did not stop within 45s of SIGTERM")
	}
	return s.exit
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its status.
func (s *Server) Wait() int {
	<-s.done
	return s.exit
}

// Logs returns everything the process wrote to stderr so far.
func (s *Server) Logs() string { return s.logs.String() }

// Stdout returns everything the process wrote to stdout so far.
func (s *Server) Stdout() string { return s.stdout.String() }

// Do sends a request with a JSON body (nil for none) and headers, and
// returns the response with its body read.
func (s *Server) Do(t testing.TB, method, path string, body any, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			r = strings.NewReader(b)
		case []byte:
			r = bytes.NewReader(b)
		default:
			buf, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			r = bytes.NewReader(buf)
		}
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
