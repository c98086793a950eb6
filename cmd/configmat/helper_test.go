package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary plays two more parts when run with helperEnv set: the
// `configmat run` under test ("run", with a fixed configuration instead of
// a server) and the command it runs ("child", which reports the signals it
// gets). The child's part is chosen by the configuration itself
// (configmat_test.helper -> CONFIGMAT_TEST_HELPER=child), which overrides
// the run helper's own CONFIGMAT_TEST_HELPER=run: every such test also
// shows that the configuration wins over the parent's environment.
const helperEnv = "CONFIGMAT_TEST_HELPER"

// Settings of the helpers, read from their environment.
const (
	// runConfigEnv holds the run helper's configuration, as JSON.
	runConfigEnv = "CONFIGMAT_TEST_CONFIG"
	// childPrintEnv lists variables (comma-separated) the child prints at
	// start: `env NAME="value"` (JSON-quoted) or `env NAME unset`.
	childPrintEnv = "CHILD_PRINT"
	// childExitOnEnv names the signal on which the child prints its counts
	// and exits (default SIGTERM); "never" counts every signal and exits
	// only by childExitCodeEnv's rule or SIGKILL.
	childExitOnEnv = "CHILD_EXIT_ON"
	// childExitCodeEnv is the child's exit status after that signal.
	childExitCodeEnv = "CHILD_EXIT_CODE"
	// childIgnoreEnv lists signals the child ignores (SIGTERM: it must be
	// killed).
	childIgnoreEnv = "CHILD_IGNORE"
)

// signalNames are the signals the child counts, by name.
var signalNames = map[string]syscall.Signal{
	"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM, "SIGHUP": syscall.SIGHUP, "SIGQUIT": syscall.SIGQUIT,
}

func signalName(sig os.Signal) string {
	for name, s := range signalNames {
		if s == sig {
			return name
		}
	}
	return sig.String()
}

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "run":
		os.Exit(helperRun())
	case "child":
		os.Exit(helperChild())
	}
	os.Exit(m.Run())
}

// helperRun is `configmat <args>` as main runs it, with the configuration
// of runConfigEnv instead of a server.
func helperRun() int {
	var values map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(os.Getenv(runConfigEnv)), &values); err != nil {
		fmt.Fprintln(os.Stderr, "helper: bad", runConfigEnv, err)
		return 99
	}
	src := &fakeSource{config: resolved{Asset: "a", Environment: "e", Version: 1, Values: values}}
	return runMain(env{
		args: os.Args[1:], getenv: os.Getenv, environ: os.Environ,
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		client: func(clientSettings) (configSource, error) { return src, nil },
	})
}

// helperChild reports its start, every signal it gets and, on the exit
// signal, the counts.
func helperChild() int {
	counted := []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}
	for _, name := range strings.FieldsFunc(os.Getenv(childIgnoreEnv), isComma) {
		signal.Ignore(signalNames[name])
		counted = slices.DeleteFunc(counted, func(s os.Signal) bool { return s == signalNames[name] })
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, counted...)
	exitOn := os.Getenv(childExitOnEnv)
	if exitOn == "" {
		exitOn = "SIGTERM"
	}
	code, _ := strconv.Atoi(os.Getenv(childExitCodeEnv))
	fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil {
		fg = -1
	}
	for _, name := range strings.FieldsFunc(os.Getenv(childPrintEnv), isComma) {
		if v, ok := os.LookupEnv(name); ok {
			fmt.Printf("env %s=%s\n", name, strconv.Quote(v))
		} else {
			fmt.Printf("env %s unset\n", name)
		}
	}
	fmt.Printf("ready pid=%d ppid=%d pgid=%d fg=%d\n", os.Getpid(), os.Getppid(), syscall.Getpgrp(), fg)
	counts := map[string]int{}
	for sig := range sigs {
		name := signalName(sig)
		counts[name]++
		fmt.Printf("signal %s %d\n", name, counts[name])
		if name == exitOn {
			var parts []string
			for _, n := range slices.Sorted(maps.Keys(signalNames)) {
				parts = append(parts, fmt.Sprintf("%s=%d", n, counts[n]))
			}
			fmt.Printf("exit %s\n", strings.Join(parts, " "))
			return code
		}
	}
	return 98
}

func isComma(r rune) bool { return r == ',' }

// childVars is the configuration that makes the test binary the child
// helper, with more variables.
func childVars(more ...envVar) []envVar {
	vars := append([]envVar{{Name: helperEnv, Value: "child", Path: "configmat_test.helper"}}, more...)
	slices.SortFunc(vars, func(a, b envVar) int { return strings.Compare(a.Name, b.Name) })
	return vars
}

// childConfigJSON is childVars' configuration as the run helper reads it.
func childConfigJSON(t *testing.T, more map[string]map[string]json.RawMessage) string {
	t.Helper()
	values := map[string]map[string]json.RawMessage{"configmat_test": {"helper": json.RawMessage(`"child"`)}}
	maps.Copy(values, more)
	return string(mustJSON(t, values))
}

// helperEnviron is a minimal environment for the helpers: no developer
// setting leaks in, and a test binary built with -race exits at once.
func helperEnviron(more ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}, more...)
}

// fakeSource is a configSource with a fixed configuration or error; its
// Watch delivers what the test sends on changes.
type fakeSource struct {
	config  resolved
	err     error
	changes chan resolved
	// watchErr ends Watch after changes is closed.
	watchErr error
	mu       sync.Mutex
	gets     int
}

func (f *fakeSource) Get(context.Context, string, string) (resolved, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	return f.config, f.err
}

func (f *fakeSource) Watch(ctx context.Context, _, _ string, fn func(resolved)) error {
	fn(f.config)
	if f.changes == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-f.changes:
			if !ok {
				return f.watchErr
			}
			fn(c)
		}
	}
}

// lineReader hands out the lines a process writes, as they come.
type lineReader struct {
	lines chan string
	mu    sync.Mutex
	all   []string
}

// readLines reads r line by line (a terminal's "\r\n" counts as "\n")
// until it ends.
func readLines(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 1024)}
	go func() {
		defer close(lr.lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			lr.mu.Lock()
			lr.all = append(lr.all, line)
			lr.mu.Unlock()
			lr.lines <- line
		}
	}()
	return lr
}

// next returns the next line that starts with prefix, skipping others,
// failing the test after timeout or at the end of the output.
func (lr *lineReader) next(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-lr.lines:
			if !ok {
				t.Fatalf("the output ended before a line starting with %q; it was:\n%s", prefix, lr.String())
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline.C:
			t.Fatalf("no line starting with %q within %s; the output was:\n%s", prefix, timeout, lr.String())
		}
	}
}

// String is every line read so far.
func (lr *lineReader) String() string {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return strings.Join(lr.all, "\n")
}

// ready is what the child's "ready" line says.
type ready struct {
	pid, ppid, pgid int
	// fg is the foreground process group of the child's stdin, -1 when
	// stdin is not its controlling terminal.
	fg int
}

// readyLine parses the child's "ready pid=P ppid=Q pgid=G fg=F" line.
func readyLine(t *testing.T, line string) ready {
	t.Helper()
	var r ready
	if _, err := fmt.Sscanf(line, "ready pid=%d ppid=%d pgid=%d fg=%d", &r.pid, &r.ppid, &r.pgid, &r.fg); err != nil {
		t.Fatalf("bad ready line %q: %v", line, err)
	}
	return r
}
