package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runHelper returns a command that runs the test binary as `configmat run`
// of the test binary as the child, with the given child settings.
func runHelper(t *testing.T, childSettings ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "run", "--asset", "a", "--environment", "e", "--", os.Args[0]) // #nosec G204 -- the test binary itself
	cmd.Env = helperEnviron(append([]string{helperEnv + "=run", runConfigEnv + "=" + childConfigJSON(t, nil), "CONFIGMAT_API_KEY=cmk_test"}, childSettings...)...)
	return cmd
}

// waitExit waits for cmd and returns its exit status.
func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("the process did not exit within 30s")
	}
	return -1
}

// TestRunForwardsSignalsExactlyOnce runs the real `configmat run` (the test
// binary's main) without a terminal and signals it as `docker stop`, a
// supervisor or a shell would: to its pid or to its whole process group.
// The child counts what it gets; then a second signal, which run forwards
// after the first, makes it print its counts and exit.
//
// Run forwards signals in the order it receives them and a process handles
// pending signals lowest number first, so a duplicate of a signal lower
// than SIGTERM is always counted before the SIGTERM that ends the child.
// For SIGTERM itself the end is a SIGHUP sent after the child reported its
// SIGTERM.
func TestRunForwardsSignalsExactlyOnce(t *testing.T) {
	tests := []struct {
		name    string
		sig     syscall.Signal
		toGroup bool
		// then is the signal that ends the child.
		then syscall.Signal
		want string
	}{
		{name: "SIGTERM to run (docker stop)", sig: syscall.SIGTERM, then: syscall.SIGHUP,
			want: "exit SIGHUP=1 SIGINT=0 SIGQUIT=0 SIGTERM=1"},
		{name: "SIGTERM to run's process group", sig: syscall.SIGTERM, toGroup: true, then: syscall.SIGHUP,
			want: "exit SIGHUP=1 SIGINT=0 SIGQUIT=0 SIGTERM=1"},
		{name: "SIGINT to run", sig: syscall.SIGINT, then: syscall.SIGTERM, want: "exit SIGHUP=0 SIGINT=1 SIGQUIT=0 SIGTERM=1"},
		{name: "SIGINT to run's process group", sig: syscall.SIGINT, toGroup: true, then: syscall.SIGTERM,
			want: "exit SIGHUP=0 SIGINT=1 SIGQUIT=0 SIGTERM=1"},
		{name: "SIGHUP to run's process group", sig: syscall.SIGHUP, toGroup: true, then: syscall.SIGTERM,
			want: "exit SIGHUP=1 SIGINT=0 SIGQUIT=0 SIGTERM=1"},
		{name: "SIGQUIT to run's process group", sig: syscall.SIGQUIT, toGroup: true, then: syscall.SIGTERM,
			want: "exit SIGHUP=0 SIGINT=0 SIGQUIT=1 SIGTERM=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := runHelper(t, childExitOnEnv+"="+signalName(tt.then), childExitCodeEnv+"=3")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			out := readLines(stdout)
			c := readyLine(t, out.next(t, "ready", 30*time.Second))
			if c.ppid != cmd.Process.Pid || c.pgid == cmd.Process.Pid {
				t.Errorf("the child (parent %d, group %d) is not run's (%d) child in a group of its own", c.ppid, c.pgid, cmd.Process.Pid)
			}
			target := cmd.Process.Pid
			if tt.toGroup {
				target = -cmd.Process.Pid
			}
			if err := syscall.Kill(target, tt.sig); err != nil {
				t.Fatal(err)
			}
			out.next(t, "signal "+signalName(tt.sig)+" 1", 10*time.Second)
			if err := cmd.Process.Signal(tt.then); err != nil {
				t.Fatal(err)
			}
			if got := out.next(t, "exit", 10*time.Second); got != tt.want {
				t.Errorf("the child says %q, want %q", got, tt.want)
			}
			if code := waitExit(t, cmd); code != 3 {
				t.Errorf("run exited %d, want the child's 3\nstderr: %s", code, stderr.String())
			}
		})
	}
}

// openPTY opens a pseudo-terminal pair, echo off (so that what the test
// types does not mix with what the processes print).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	fd := int(master.Fd()) // #nosec G115 -- a file descriptor fits an int
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slave.Close() })
	sfd := int(slave.Fd()) // #nosec G115 -- a file descriptor fits an int
	tio, err := unix.IoctlGetTermios(sfd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(sfd, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// onTerminal runs script in bash with job control (set -m), as an
// interactive shell runs a command line: on a new pseudo-terminal, each job
// in its own process group, given the terminal while it runs. $0 is the
// test binary, which the environment makes `configmat run`.
func onTerminal(t *testing.T, script string) (*exec.Cmd, *os.File, *lineReader) {
	t.Helper()
	master, slave := openPTY(t)
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", "set -m\n"+script, os.Args[0]) // #nosec G204 -- the test's own script
	cmd.Env = runHelper(t).Env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = slave.Close()
	return cmd, master, readLines(master)
}

// foregroundOf returns the foreground process group of the terminal whose
// master is m.
func foregroundOf(t *testing.T, m *os.File) int {
	t.Helper()
	pgrp, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPGRP) // #nosec G115 -- a file descriptor fits an int
	if err != nil {
		t.Fatal(err)
	}
	return pgrp
}

const runOnTerminal = `"$0" run --asset a --environment e -- "$0"` + "\n"

// TestCtrlCOnATerminalReachesTheChildOnce: the terminal sends Ctrl-C's
// SIGINT to its foreground process group. The child has the foreground,
// alone, so it gets exactly one SIGINT (were it in run's group, it would
// get the terminal's and run's).
func TestCtrlCOnATerminalReachesTheChildOnce(t *testing.T) {
	cmd, master, out := onTerminal(t, runOnTerminal+`echo "run exited $?"`)
	c := readyLine(t, out.next(t, "ready", 30*time.Second))
	if c.fg != c.pgid || c.pgid != c.pid {
		t.Fatalf("the child (pid %d, group %d) is not the terminal's foreground group %d", c.pid, c.pgid, c.fg)
	}
	if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	out.next(t, "signal SIGINT 1", 10*time.Second)
	// SIGTERM to run is forwarded after any SIGINT run might have received.
	if err := syscall.Kill(c.ppid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got, want := out.next(t, "exit", 10*time.Second), "exit SIGHUP=0 SIGINT=1 SIGQUIT=0 SIGTERM=1"; got != want {
		t.Errorf("the child says %q, want %q", got, want)
	}
	if got := out.next(t, "run exited", 10*time.Second); got != "run exited 0" {
		t.Errorf("%s, want 0", got)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Errorf("bash exited %d\n%s", code, out)
	}
}

// TestCtrlZOnATerminalStopsTheJob: Ctrl-Z stops the child; run takes the
// terminal back and stops itself, so the shell sees its job stopped and
// gets the terminal; `fg` continues run, which hands the terminal back to
// the child and continues it.
func TestCtrlZOnATerminalStopsTheJob(t *testing.T) {
	cmd, master, out := onTerminal(t, runOnTerminal+`echo "job stopped $?"`+"\nfg >/dev/null\n"+`echo "run exited $?"`)
	c := readyLine(t, out.next(t, "ready", 30*time.Second))
	if _, err := master.Write([]byte{0x1a}); err != nil { // Ctrl-Z
		t.Fatal(err)
	}
	if got := out.next(t, "job stopped", 10*time.Second); got != "job stopped 148" {
		t.Errorf("%q, want the shell to see its job stopped by SIGTSTP (148)", got)
	}
	// The shell's fg gives the terminal to run's group, and run to the child.
	deadline := time.Now().Add(10 * time.Second)
	for foregroundOf(t, master) != c.pgid {
		if time.Now().After(deadline) {
			t.Fatalf("the child's group %d did not get the terminal back (foreground: %d)\n%s", c.pgid, foregroundOf(t, master), out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C: the child runs again
		t.Fatal(err)
	}
	out.next(t, "signal SIGINT 1", 10*time.Second)
	if err := syscall.Kill(c.ppid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got, want := out.next(t, "exit", 10*time.Second), "exit SIGHUP=0 SIGINT=1 SIGQUIT=0 SIGTERM=1"; got != want {
		t.Errorf("the child says %q, want %q", got, want)
	}
	if got := out.next(t, "run exited", 10*time.Second); got != "run exited 0" {
		t.Errorf("%s, want 0", got)
	}
	if code := waitExit(t, cmd); code != 0 {
		t.Errorf("bash exited %d\n%s", code, out)
	}
}
