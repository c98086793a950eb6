package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// forwardedSignals are the signals `configmat run` passes on to its child.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// terminating says whether a forwarded signal asks the child to end: once
// one is forwarded, no configuration change restarts the child any more.
func terminating(sig os.Signal) bool { return sig != syscall.SIGHUP }

// defaultGrace is --grace's default.
const defaultGrace = 10 * time.Second

// childConfig is the configuration a child runs with.
type childConfig struct {
	Version int
	Vars    []envVar
}

// supervisor runs the command of `configmat run`, one child at a time: it
// forwards signals to the child exactly once, restarts it when the
// configuration changes, and answers the child's exit status.
//
// Each child runs in its own process group, so that a signal sent to run's
// group (a shell's job, `kill -- -PGID`) reaches the child only through run.
// When run's group has the foreground of its controlling terminal (term),
// the child is given the foreground: the terminal's Ctrl-C then reaches the
// child alone, not run too (which would forward a second SIGINT); when the
// child stops (Ctrl-Z), run takes the terminal back and stops its own job,
// so the shell sees the job stopped, and when continued gives the terminal
// back and continues the child.
type supervisor struct {
	argv []string
	// base is the parent's environment; the configuration's variables
	// override its entries of the same name.
	base   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// grace is how long a child may take to exit after the SIGTERM of a
	// restart before it is sent SIGKILL.
	grace time.Duration
	// term is run's terminal when its group has the foreground, else nil.
	// With a terminal, stdin, stdout and stderr must be *os.File.
	term *terminal
	// say writes one "configmat: ..." line to stderr.
	say func(format string, args ...any)
}

// child is one started command.
type child struct {
	cmd    *exec.Cmd
	config childConfig
	// done receives the child's exit status once it has exited.
	done chan int
}

// run starts the command with first, then forwards every signal of signals
// and restarts the command for every configuration of changes until it
// exits; it answers the exit status run should exit with (the child's, or
// 128 + the signal that killed it). An error means the command could not be
// started; the status is then 127 when it was not found, 126 when it could
// not be executed.
func (s *supervisor) run(first childConfig, signals <-chan os.Signal, changes <-chan childConfig) (int, error) {
	c, err := s.start(first)
	if err != nil {
		return startStatus(err), err
	}
	stopping := false
	for {
		select {
		case code := <-c.done:
			return code, nil
		case sig := <-signals:
			c.signal(sig)
			stopping = stopping || terminating(sig)
		case next := <-changes:
			if stopping || slices.Equal(next.Vars, c.config.Vars) {
				continue
			}
			code := s.stop(c, signals, &stopping)
			if stopping {
				return code, nil
			}
			s.say("the configuration changed (version %d): restarting %s", next.Version, s.argv[0])
			if c, err = s.start(next); err != nil {
				return startStatus(err), err
			}
		}
	}
}

// stop ends c for a restart: SIGTERM, then SIGKILL when it has not exited
// after the grace period. Signals arriving meanwhile are forwarded to c as
// usual (a terminating one sets *stopping: no new child then). It answers
// c's exit status.
func (s *supervisor) stop(c *child, signals <-chan os.Signal, stopping *bool) int {
	c.signal(syscall.SIGTERM)
	grace := time.NewTimer(s.grace)
	defer grace.Stop()
	for {
		select {
		case code := <-c.done:
			return code
		case sig := <-signals:
			c.signal(sig)
			*stopping = *stopping || terminating(sig)
		case <-grace.C:
			s.say("%s did not exit within %s of SIGTERM: sending SIGKILL", s.argv[0], s.grace)
			c.signal(syscall.SIGKILL)
			return <-c.done
		}
	}
}

// start starts the command with cfg's variables over the parent's
// environment.
func (s *supervisor) start(cfg childConfig) (*child, error) {
	cmd := exec.Command(s.argv[0], s.argv[1:]...) // #nosec G204 -- runs the command the user asked `configmat run` to run
	cmd.Env = withVariables(s.base, cfg.Vars)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.stdin, s.stdout, s.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	jobControl := s.term != nil && s.term.foreground()
	if jobControl {
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = s.term.fd
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, config: cfg, done: make(chan int, 1)}
	if jobControl {
		go s.waitJob(c)
	} else {
		go func() { c.done <- childStatus(cmd.Wait(), cmd.ProcessState) }()
	}
	return c, nil
}

// waitJob waits for a child that has the terminal's foreground, following
// its stops (Ctrl-Z) as a shell would, and takes the terminal back when it
// exits. Its stdio are files, so exec.Cmd has nothing to copy and need not
// be waited for.
func (s *supervisor) waitJob(c *child) {
	pid := c.cmd.Process.Pid
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			_ = s.term.takeBack()
			c.done <- 1
			return
		case ws.Stopped():
			s.suspend(pid)
			continue
		}
		_ = s.term.takeBack()
		c.done <- waitStatus(ws)
		return
	}
}

// suspend follows a stop of the child (process group pgid): run takes the
// terminal back and stops its own job, as the shell expects of a job that
// stopped; once continued (fg), it gives the terminal back, if its job has
// it again, and continues the child.
func (s *supervisor) suspend(pgid int) {
	_ = s.term.takeBack()
	_ = syscall.Kill(0, syscall.SIGTSTP) // returns once run's job is continued
	if s.term.foreground() {
		_ = s.term.give(pgid)
	}
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
}

// signal sends sig to the child; a child that has exited is left alone.
func (c *child) signal(sig os.Signal) { _ = c.cmd.Process.Signal(sig) }

// childStatus is the status run exits with for a child that Wait returned
// err and state for: its exit code, or 128 + the signal that killed it.
func childStatus(err error, state *os.ProcessState) int {
	if state == nil {
		return 1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok {
		return waitStatus(ws)
	}
	if err != nil {
		return 1
	}
	return state.ExitCode()
}

// waitStatus is the exit code of ws, or 128 + the signal that killed it.
func waitStatus(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 1
}

// startStatus is the exit status for a command that could not be started,
// as shells answer: 127 not found, 126 not executable.
func startStatus(err error) int {
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return 127
	case errors.Is(err, fs.ErrPermission):
		return 126
	}
	return 1
}
