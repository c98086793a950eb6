package pgtest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a TCP proxy in front of a PostgreSQL server that a test can turn
// against its clients: it can drop every notification the server sends (as
// a connection that LISTENs but is never handed its notifications, which is
// what PgBouncer in transaction mode does to LISTEN), cut every open
// connection, or refuse new ones (a database that went down). It reads the
// server's messages, so its clients must use sslmode=disable.
type Proxy struct {
	ln     net.Listener
	target string
	drop   atomic.Bool
	refuse atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// StartProxy listens on a free loopback port and forwards every connection
// to target (host:port); it is closed when t ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// ProxyFor starts a proxy to the server of rawURL (a postgres:// URL) and
// returns it with rawURL rewritten to go through it.
func ProxyFor(t testing.TB, rawURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("pgtest: proxy: not a URL")
	}
	p := StartProxy(t, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// DropNotifications makes the proxy drop (true) or forward (false) the
// server's NotificationResponse messages, on open and new connections.
func (p *Proxy) DropNotifications(drop bool) { p.drop.Store(drop) }

// Refuse makes the proxy close every open connection and each new one at
// once (true), or forward them again (false).
func (p *Proxy) Refuse(refuse bool) {
	p.refuse.Store(refuse)
	if refuse {
		p.Cut()
	}
}

// Cut closes every open connection; new ones are forwarded as before.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			_ = client.Close()
			continue
		}
		p.wg.Add(1)
		go p.forward(client)
	}
}

// track records c as open; it answers false when the proxy is refusing.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse.Load() {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) forget(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

// forward copies the client's bytes to the server as they are and the
// server's messages to the client one by one, dropping notifications when
// told to.
func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client) || !p.track(server) {
		p.forget(client)
		p.forget(server)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(server, client)
		p.forget(server)
	}()
	_ = p.relayServer(client, server)
	p.forget(client)
	p.forget(server)
	<-done
}

// notificationResponse is the type byte of PostgreSQL's NotificationResponse.
const notificationResponse = 'A'

// relayServer relays the server's typed messages (a type byte and a length
// that counts itself) to client until either side closes.
func (p *Proxy) relayServer(client io.Writer, server io.Reader) error {
	header := make([]byte, 5)
	for {
		if _, err := io.ReadFull(server, header); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(header[1:]))
		if n < 4 {
			return errors.New("pgtest: proxy: malformed message from the server")
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(server, body); err != nil {
			return err
		}
		if header[0] == notificationResponse && p.drop.Load() {
			continue
		}
		if _, err := client.Write(append(header, body...)); err != nil {
			return err
		}
	}
}
