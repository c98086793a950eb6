package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sayings collects a supervisor's "configmat: ..." lines.
type sayings struct {
	mu    sync.Mutex
	lines []string
}

func (s *sayings) say(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, fmt.Sprintf(format, a...))
}

func (s *sayings) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// testSupervisor is a supervisor of argv whose child's stdout the test
// reads line by line.
func testSupervisor(t *testing.T, argv []string, grace time.Duration, env ...string) (*supervisor, *lineReader, *sayings) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	said := &sayings{}
	s := &supervisor{argv: argv, base: helperEnviron(env...), stdout: w, stderr: os.Stderr, grace: grace, say: said.say}
	return s, readLines(r), said
}

// supervise runs s in the background and returns its result channel.
func supervise(s *supervisor, first childConfig, signals chan os.Signal, changes chan childConfig) chan supervised {
	done := make(chan supervised, 1)
	go func() {
		code, err := s.run(first, signals, changes)
		done <- supervised{code, err}
	}()
	return done
}

type supervised struct {
	code int
	err  error
}

// waitSupervised waits for the supervisor's result.
func waitSupervised(t *testing.T, done chan supervised) supervised {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the supervisor did not return within 30s")
	}
	return supervised{}
}

func TestRunExitsWithTheChildStatus(t *testing.T) {
	notExecutable := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		argv     []string
		wantCode int
		wantErr  bool
	}{
		{name: "success", argv: []string{"bash", "-c", "exit 0"}, wantCode: 0},
		{name: "an exit status", argv: []string{"bash", "-c", "exit 3"}, wantCode: 3},
		{name: "the largest exit status", argv: []string{"bash", "-c", "exit 255"}, wantCode: 255},
		{name: "killed by SIGKILL: 128+9", argv: []string{"bash", "-c", "kill -KILL $$"}, wantCode: 137},
		{name: "killed by SIGTERM: 128+15", argv: []string{"bash", "-c", "kill -TERM $$"}, wantCode: 143},
		{name: "killed by SIGINT: 128+2", argv: []string{"bash", "-c", "trap - INT; kill -INT $$"}, wantCode: 130},
		{name: "not found: 127", argv: []string{"configmat-test-no-such-command"}, wantCode: 127, wantErr: true},
		{name: "not executable: 126", argv: []string{notExecutable}, wantCode: 126, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := testSupervisor(t, tt.argv, time.Second)
			r := waitSupervised(t, supervise(s, childConfig{}, make(chan os.Signal), make(chan childConfig)))
			if r.code != tt.wantCode || (r.err != nil) != tt.wantErr {
				t.Errorf("status %d, error %v; want %d, error %v", r.code, r.err, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// TestRunForwardsEachSignalOnce: every signal run receives reaches the child
// once; the child runs in a process group of its own.
func TestRunForwardsEachSignalOnce(t *testing.T) {
	s, out, _ := testSupervisor(t, []string{os.Args[0]}, time.Second, childExitCodeEnv+"=7")
	signals := make(chan os.Signal, 1)
	done := supervise(s, childConfig{Vars: childVars()}, signals, make(chan childConfig))
	c := readyLine(t, out.next(t, "ready", 30*time.Second))
	if c.pgid != c.pid || c.pgid == syscall.Getpgrp() {
		t.Errorf("the child (pid %d) is in process group %d, want its own", c.pid, c.pgid)
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT} {
		signals <- sig
		out.next(t, "signal "+signalName(sig)+" 1", 10*time.Second)
	}
	signals <- syscall.SIGTERM
	if got, want := out.next(t, "exit", 10*time.Second), "exit SIGHUP=1 SIGINT=1 SIGQUIT=1 SIGTERM=1"; got != want {
		t.Errorf("the child says %q, want %q", got, want)
	}
	if r := waitSupervised(t, done); r.code != 7 || r.err != nil {
		t.Errorf("status %d (%v), want the child's 7", r.code, r.err)
	}
}

// TestWatchRestartsTheChild: a change sends SIGTERM and, once the child has
// exited, starts it again with the new configuration; a change that leaves
// the variables as they are restarts nothing.
func TestWatchRestartsTheChild(t *testing.T) {
	s, out, said := testSupervisor(t, []string{os.Args[0]}, 10*time.Second, childPrintEnv+"=APP_COLOR")
	signals, changes := make(chan os.Signal, 1), make(chan childConfig, 1)
	color := func(c string) []envVar { return childVars(envVar{Name: "APP_COLOR", Value: c, Path: "app.color"}) }
	done := supervise(s, childConfig{Version: 1, Vars: color("red")}, signals, changes)
	out.next(t, `env APP_COLOR="red"`, 30*time.Second)
	first := readyLine(t, out.next(t, "ready", 10*time.Second))

	changes <- childConfig{Version: 2, Vars: color("red")} // the same variables
	changes <- childConfig{Version: 3, Vars: color("blue")}
	if got := out.next(t, "signal", 10*time.Second); got != "signal SIGTERM 1" {
		t.Errorf("the child got %q, want one SIGTERM", got)
	}
	out.next(t, "exit", 10*time.Second)
	if got := out.next(t, "env", 30*time.Second); got != `env APP_COLOR="blue"` {
		t.Errorf("the new child has %s, want blue", got)
	}
	if second := readyLine(t, out.next(t, "ready", 10*time.Second)); second.pid == first.pid {
		t.Error("the child was not started again")
	}
	if !strings.Contains(said.String(), "the configuration changed (version 3): restarting") || strings.Contains(said.String(), "version 2") {
		t.Errorf("run said:\n%s\nwant one restart, for version 3", said)
	}
	signals <- syscall.SIGTERM
	out.next(t, "exit", 10*time.Second)
	if r := waitSupervised(t, done); r.code != 0 || r.err != nil {
		t.Errorf("status %d (%v)", r.code, r.err)
	}
}

// TestWatchKillsAChildThatIgnoresSIGTERM: after --grace, SIGKILL; then the
// new child starts.
func TestWatchKillsAChildThatIgnoresSIGTERM(t *testing.T) {
	const grace = 300 * time.Millisecond
	s, out, said := testSupervisor(t, []string{os.Args[0]}, grace, childPrintEnv+"=APP_COLOR", childIgnoreEnv+"=SIGTERM", childExitOnEnv+"=SIGINT")
	signals, changes := make(chan os.Signal, 1), make(chan childConfig, 1)
	color := func(c string) []envVar { return childVars(envVar{Name: "APP_COLOR", Value: c, Path: "app.color"}) }
	done := supervise(s, childConfig{Version: 1, Vars: color("red")}, signals, changes)
	out.next(t, "ready", 30*time.Second)

	changed := time.Now()
	changes <- childConfig{Version: 2, Vars: color("blue")}
	if got := out.next(t, "env", 30*time.Second); got != `env APP_COLOR="blue"` {
		t.Errorf("the new child has %s, want blue", got)
	}
	if elapsed := time.Since(changed); elapsed < grace {
		t.Errorf("the new child started %s after the change, before the grace period of %s", elapsed, grace)
	}
	if !strings.Contains(said.String(), "did not exit within 300ms of SIGTERM: sending SIGKILL") {
		t.Errorf("run said:\n%s\nwant the SIGKILL line", said)
	}
	out.next(t, "ready", 10*time.Second)
	signals <- syscall.SIGINT
	out.next(t, "exit", 10*time.Second)
	if r := waitSupervised(t, done); r.code != 0 || r.err != nil {
		t.Errorf("status %d (%v)", r.code, r.err)
	}
}

// TestASignalDuringARestartEndsRun: a SIGINT that arrives while a restart
// waits for the old child is forwarded, and no new child starts.
func TestASignalDuringARestartEndsRun(t *testing.T) {
	s, out, said := testSupervisor(t, []string{os.Args[0]}, time.Minute, childExitOnEnv+"=SIGINT", childExitCodeEnv+"=5")
	signals, changes := make(chan os.Signal, 1), make(chan childConfig, 1)
	done := supervise(s, childConfig{Version: 1, Vars: childVars()}, signals, changes)
	out.next(t, "ready", 30*time.Second)
	changes <- childConfig{Version: 2, Vars: childVars(envVar{Name: "APP_X", Value: "1", Path: "app.x"})}
	// The child counts the restart's SIGTERM and keeps running; the grace
	// period is long.
	out.next(t, "signal SIGTERM 1", 10*time.Second)
	signals <- syscall.SIGINT
	if got, want := out.next(t, "exit", 10*time.Second), "exit SIGHUP=0 SIGINT=1 SIGQUIT=0 SIGTERM=1"; got != want {
		t.Errorf("the child says %q, want %q", got, want)
	}
	if r := waitSupervised(t, done); r.code != 5 || r.err != nil {
		t.Errorf("status %d (%v), want the child's 5", r.code, r.err)
	}
	if n := strings.Count(out.String(), "ready pid"); n != 1 {
		t.Errorf("%d children started:\n%s", n, out)
	}
	if strings.Contains(said.String(), "restarting") {
		t.Errorf("run said it restarted:\n%s", said)
	}
}

// TestWatchEndsWithTheChild: a child that exits on its own ends run, with
// its status, even while changes are followed.
func TestWatchEndsWithTheChild(t *testing.T) {
	s, _, _ := testSupervisor(t, []string{"bash", "-c", "exit 4"}, time.Second)
	r := waitSupervised(t, supervise(s, childConfig{}, make(chan os.Signal), make(chan childConfig)))
	if r.code != 4 || r.err != nil {
		t.Errorf("status %d (%v)", r.code, r.err)
	}
}

func TestStartStatus(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{&os.PathError{Op: "fork/exec", Path: "x", Err: syscall.ENOENT}, 127},
		{&os.PathError{Op: "fork/exec", Path: "x", Err: syscall.EACCES}, 126},
		{errors.New("other"), 1},
	} {
		if got := startStatus(tt.err); got != tt.want {
			t.Errorf("startStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
