package e2etest

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// pipeLog collects what a child process writes to one of its output pipes.
//
// A background reader empties the pipe whenever it becomes readable, so the
// child never blocks on a full pipe. Reading the collected text (String)
// first empties the pipe itself, under the same lock: it returns every byte
// the child wrote before the call. A test that has seen an effect of
// something the child did after writing a line (a line on its other pipe, an
// HTTP answer) therefore always finds that line, however the goroutines and
// the two pipes are scheduled. No wait or retry is involved.
type pipeLog struct {
	r   *os.File
	raw syscall.RawConn

	mu      sync.Mutex
	buf     bytes.Buffer
	scratch []byte
	eof     bool
	// changed is closed, and replaced, whenever buf grows or eof is reached.
	changed chan struct{}
	// done is closed once the pipe has reached end of file and r is closed.
	done chan struct{}
}

// newPipeLog returns a pipeLog and the pipe's write end to hand to the child.
// The caller closes w once the child has started (or failed to start), so
// that the child's exit ends the log.
func newPipeLog() (p *pipeLog, w *os.File, err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	// os.Pipe makes the read end non-blocking and pollable; SyscallConn keeps
	// it so (File.Fd would switch it to blocking mode).
	raw, err := r.SyscallConn()
	if err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, nil, err
	}
	p = &pipeLog{r: r, raw: raw, scratch: make([]byte, 64<<10), changed: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p, w, nil
}

// run empties the pipe each time it becomes readable, until end of file.
func (p *pipeLog) run() {
	defer close(p.done)
	err := p.raw.Read(func(fd uintptr) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.drainLocked(fd)
		// false: nothing more to read now; the poller calls again once the
		// pipe is readable.
		return p.eof
	})
	p.mu.Lock()
	if err != nil && !p.eof {
		p.eof = true
		p.notifyLocked()
	}
	p.mu.Unlock()
	_ = p.r.Close()
}

// drainLocked reads everything the pipe holds right now into buf, without
// blocking; it records end of file (every write end closed) or a read error
// as eof. p.mu is held.
func (p *pipeLog) drainLocked(fd uintptr) {
	grew := false
	for !p.eof {
		n, err := syscall.Read(int(fd), p.scratch)
		switch {
		case n > 0:
			p.buf.Write(p.scratch[:n])
			grew = true
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			if grew {
				p.notifyLocked()
			}
			return
		default:
			p.eof = true
			grew = true
		}
	}
	if grew {
		p.notifyLocked()
	}
}

// notifyLocked wakes the waiters of waitFor. p.mu is held.
func (p *pipeLog) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// String returns everything the child wrote to the pipe before the call.
func (p *pipeLog) String() string {
	p.mu.Lock()
	eof := p.eof
	p.mu.Unlock()
	if !eof {
		// Control fails only once run has closed r, after end of file: buf
		// then already holds everything.
		_ = p.raw.Control(func(fd uintptr) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.drainLocked(fd)
		})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// waitFor waits until cond holds for the collected text, and returns that
// text and true. It returns false when the pipe reaches end of file without
// cond holding, or at deadline. Each new chunk of output wakes it: there is
// no polling.
func (p *pipeLog) waitFor(cond func(string) bool, deadline time.Time) (string, bool) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		text, eof, changed := p.buf.String(), p.eof, p.changed
		p.mu.Unlock()
		if cond(text) {
			return text, true
		}
		if eof {
			return text, false
		}
		select {
		case <-changed:
		case <-timer.C:
			return p.String(), false
		}
	}
}
