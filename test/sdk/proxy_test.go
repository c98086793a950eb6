package sdke2e

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// tcpProxy forwards every connection to a target address and records when
// each arrived and whether the target took it, so that a test sees when
// clients reconnect to a restarted server. While the target is down it
// accepts and closes at once, as a connection refused would end.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	arrivals []arrival
	open     map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// arrival is one client connection.
type arrival struct {
	at time.Time
	// reached says whether the target accepted the forwarded connection.
	reached bool
}

// startProxy listens on a free loopback port; it is closed when t ends.
func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's base URL.
func (p *tcpProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		at := time.Now()
		upstream, err := net.Dial("tcp", p.target)
		p.mu.Lock()
		p.arrivals = append(p.arrivals, arrival{at: at, reached: err == nil})
		if err != nil {
			p.mu.Unlock()
			_ = client.Close()
			continue
		}
		p.open[client] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pipe(client, upstream)
	}
}

// pipe copies both ways until either side ends, then closes both.
func (p *tcpProxy) pipe(client, upstream net.Conn) {
	defer p.wg.Done()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, upstream); done <- struct{}{} }()
	<-done
	_ = client.Close()
	_ = upstream.Close()
	<-done
	p.mu.Lock()
	delete(p.open, client)
	p.mu.Unlock()
}

// reachedSince returns the arrival times, from since on, of the connections
// that the target accepted.
func (p *tcpProxy) reachedSince(since time.Time) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, a := range p.arrivals {
		if a.reached && !a.at.Before(since) {
			out = append(out, a.at)
		}
	}
	return out
}

// openConns returns how many forwarded connections are open.
func (p *tcpProxy) openConns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.open)
}

func (p *tcpProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
