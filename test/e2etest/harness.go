// Package e2etest starts the real configmat binary for end-to-end tests: it
// builds cmd/configmat once per test process, runs it with the settings a
// test gives on 127.0.0.1 and a free port, captures its logs, and stops it
// with SIGTERM.
package e2etest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// build is one flavour of the binary, built once per test process.
type build struct {
	once sync.Once
	path string
	err  error
	// name is the binary's file name; flags go to go build.
	name  string
	flags []string
}

var (
	// raceBuild is the binary the tests run: with the race detector.
	raceBuild = &build{name: "configmat", flags: []string{"-race"}}
	// releaseBuild is the binary as `make build` makes it, for benchmarks
	// (the race detector multiplies memory and CPU).
	releaseBuild = &build{name: "configmat-release"}
)

// Binary builds cmd/configmat with the race detector (once per test
// process) and returns its path.
func Binary(t testing.TB) string { return raceBuild.get(t) }

// ReleaseBinary builds cmd/configmat without the race detector, as
// `make build` does (once per test process), and returns its path.
func ReleaseBinary(t testing.TB) string { return releaseBuild.get(t) }

// get builds b once and returns its path.
func (b *build) get(t testing.TB) string {
	t.Helper()
	b.once.Do(func() { b.path, b.err = b.make() })
	if b.err != nil {
		t.Fatalf("building configmat: %v", b.err)
	}
	return b.path
}

// make builds the binary. One binary of each flavour is shared by every
// test process of this checkout: each builds to a private file and renames
// it into place, so no run leaves a copy behind and a process already
// running the old file keeps it. The folder is named after the checkout,
// so that tests of two checkouts running at once never run each other's
// binary.
func (b *build) make() (string, error) {
	root := moduleRoot()
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "configmat-e2e-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		return "", err
	}
	_ = tmp.Close()
	args := append(append([]string{"build"}, b.flags...), "-o", tmp.Name(), "./cmd/configmat")
	cmd := exec.Command("go", args...) // #nosec G204 -- builds the binary under test into a temp file
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp.Name())
		return "", &buildError{out: string(out), err: err}
	}
	path := filepath.Join(dir, b.name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return "", err
	}
	return path, nil
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
	// Release runs the binary built without the race detector
	// (ReleaseBinary), for benchmarks.
	Release bool
}

// Server is a running configmat process.
type Server struct {
	URL string
	Dir string

	cmd    *exec.Cmd
	logs   *pipeLog
	stdout *pipeLog
	done   chan struct{}
	exit   int
}

// listenLine is the server's listening line on stdout, whole (up to its
// newline), with the URL it serves.
var listenLine = regexp.MustCompile(`listening on (http://\S+).*\n`)

// startTimeout bounds how long Start waits for the listening line.
const startTimeout = 60 * time.Second

// Start runs `configmat serve` and waits until it says where it listens.
//
// When Start returns, Logs holds every line the server logged before it
// printed its listening line (the start-up warnings among them): Logs reads
// the process's stderr pipe up to what the process has written, so no test
// depends on how fast a copy of one pipe catches up with the other.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Release {
		return startBinary(t, ReleaseBinary(t), o)
	}
	return startBinary(t, Binary(t), o)
}

// startBinary is Start with the program to run: the harness's own tests run
// a fake server.
func startBinary(t testing.TB, bin string, o Options) *Server {
	t.Helper()
	s, err := start(t, bin, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	return s
}

func start(t testing.TB, bin string, o Options) (*Server, error) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	args := o.Args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	stdout, stdoutW, err := newPipeLog()
	if err != nil {
		return nil, err
	}
	logs, logsW, err := newPipeLog()
	if err != nil {
		_ = stdoutW.Close()
		return nil, err
	}
	cmd := exec.Command(bin, args...) // #nosec G204 -- the binary under test, with the test's arguments
	cmd.Dir = o.Dir
	cmd.Env = Environ(o.Env)
	cmd.Stdout, cmd.Stderr = stdoutW, logsW
	err = cmd.Start()
	// The child holds its own copies of the write ends: once it exits, both
	// logs reach end of file.
	_ = stdoutW.Close()
	_ = logsW.Close()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: o.Dir, cmd: cmd, logs: logs, stdout: stdout, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		<-stdout.done
		<-logs.done
		s.exit = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	deadline := time.Now().Add(startTimeout)
	if text, ok := stdout.waitFor(listenLine.MatchString, deadline); ok {
		s.URL = listenLine.FindStringSubmatch(text)[1]
		return s, nil
	}
	// stdout ended (the process is exiting) or the deadline passed.
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-s.done:
		return nil, &startError{logs: s.logs.String(), code: s.exit}
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-s.done
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
	cmd := exec.CommandContext(ctx, Binary(t), o.Args...) // #nosec G204 -- the binary under test, with the test's arguments
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

// PID is the process's ID (to read its memory from /proc).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its status.
func (s *Server) Wait() int {
	<-s.done
	return s.exit
}

// Logs returns everything the process wrote to stderr before the call, so a
// line logged before an answer the test has received is always in it; after
// Stop or Wait, the whole log.
func (s *Server) Logs() string { return s.logs.String() }

// Stdout returns everything the process wrote to stdout before the call.
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

// ModuleRoot is the repository root of the code under test.
func ModuleRoot() string { return moduleRoot() }
