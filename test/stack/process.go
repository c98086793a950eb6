package stack

import (
	"os/exec"
	"syscall"

	"github.com/configmat/configmat/test/e2etest"
)

// process is a running child whose combined output is kept.
type process struct {
	cmd  *exec.Cmd
	out  *e2etest.SafeBuffer
	done chan struct{}
}

// startProcess starts cmd, keeping its output, and killed with SIGKILL
// should the test process die first.
func startProcess(cmd *exec.Cmd) (*process, error) {
	out := &e2etest.SafeBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// running reports whether the process has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig unless the process has exited, then waits for the exit.
func (p *process) signal(sig syscall.Signal) {
	if p.running() {
		_ = p.cmd.Process.Signal(sig)
	}
	<-p.done
}

// logs returns the output so far.
func (p *process) logs() string { return p.out.String() }
