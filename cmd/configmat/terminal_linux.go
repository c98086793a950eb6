package main

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// terminal is the controlling terminal of `configmat run` while its
// process group is in the terminal's foreground: the child is then given
// the foreground (so that Ctrl-C, Ctrl-\ and Ctrl-Z reach the child alone,
// once) and it is taken back when the child stops or exits.
type terminal struct {
	fd int
	// pgrp is run's own process group.
	pgrp int
}

// foregroundTerminal returns the terminal f is, when it is this process's
// controlling terminal and this process's group is in its foreground; else
// nil (not a terminal, another session's, or run started in the background).
func foregroundTerminal(f *os.File) *terminal {
	fd := int(f.Fd()) // #nosec G115 -- a file descriptor fits an int
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || fg != syscall.Getpgrp() {
		return nil
	}
	return &terminal{fd: fd, pgrp: fg}
}

// foreground says whether run's group is the terminal's foreground group.
func (t *terminal) foreground() bool {
	fg, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP)
	return err == nil && fg == t.pgrp
}

// give makes pgrp the terminal's foreground group.
//
// A process outside the foreground group that changes it is sent SIGTTOU,
// and stopped, unless it blocks or ignores the signal. Ignoring it would be
// inherited by every later child (an ignored signal stays ignored across
// exec), so the calling thread blocks it for the one call instead, as Go's
// own fork does for SysProcAttr.Foreground.
func (t *terminal) give(pgrp int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var block, old unix.Sigset_t
	n := uint(unix.SIGTTOU - 1)
	block.Val[n/64] |= 1 << (n % 64)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &block, &old); err != nil {
		return err
	}
	err := unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, pgrp)
	if merr := unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil); err == nil {
		err = merr
	}
	return err
}

// takeBack makes run's own group the foreground group again.
func (t *terminal) takeBack() error { return t.give(t.pgrp) }
