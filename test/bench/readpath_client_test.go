package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pollClient is the read path's load generator: one keep-alive HTTP/1.1
// connection per worker, each sending the same pre-built request and reading
// the answer with a minimal parser, as wrk does. Go's http.Client costs
// several times what the server's bare handler does per request; in the same
// process it would be most of what is measured and flatter every ratio.
type pollClient struct {
	conns []*pollConn
	// want is the answer every request must receive.
	want pollAnswer
}

// pollAnswer is the answer a poll expects: its status and exact body (nil
// for a 304, which has none).
type pollAnswer struct {
	status int
	body   []byte
}

// pollConn is one connection of a pollClient.
type pollConn struct {
	conn net.Conn
	r    *bufio.Reader
	// request is the whole request, written in one call.
	request []byte
	// body receives each answer's body, compared with the wanted one.
	body []byte
}

// newPollClient opens conns connections to srv, each sending GET path with
// apiKey, and If-None-Match: etag when etag is not empty, and expecting want;
// they are closed when tb ends.
func newPollClient(tb testing.TB, srv *httptest.Server, conns int, path, apiKey, etag string, want pollAnswer) *pollClient {
	tb.Helper()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: configmat-bench\r\nAccept: application/json\r\nX-API-Key: %s\r\n", path, addr, apiKey)
	if etag != "" {
		fmt.Fprintf(&req, "If-None-Match: %s\r\n", etag)
	}
	req.WriteString("\r\n")
	request := []byte(req.String())
	c := &pollClient{want: want}
	for range conns {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			tb.Fatalf("dial %s: %v", addr, err)
		}
		tb.Cleanup(func() { _ = conn.Close() })
		c.conns = append(c.conns, &pollConn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10), request: request})
	}
	return c
}

// warmUp sends two requests on every connection, one connection after the
// other, so that the timed run starts on established, warm connections.
func (c *pollClient) warmUp(tb testing.TB) {
	tb.Helper()
	for i := range c.conns {
		for range 2 {
			if err := c.poll(i); err != nil {
				tb.Fatalf("warm-up: %v", err)
			}
		}
	}
}

// poll sends one request on connection i and checks its answer.
func (c *pollClient) poll(i int) error {
	pc := c.conns[i]
	if err := pc.conn.SetDeadline(time.Now().Add(readTimeout)); err != nil {
		return err
	}
	if _, err := pc.conn.Write(pc.request); err != nil {
		return err
	}
	status, length, err := pc.readHead()
	if err != nil {
		return err
	}
	if status != c.want.status {
		text := make([]byte, min(max(length, 0), 1<<10))
		_, _ = io.ReadFull(pc.r, text)
		return fmt.Errorf("status %d, want %d: %s", status, c.want.status, text)
	}
	if length != len(c.want.body) {
		return fmt.Errorf("status %d: Content-Length %d, want %d", status, length, len(c.want.body))
	}
	if length == 0 {
		return nil
	}
	if cap(pc.body) < length {
		pc.body = make([]byte, length)
	}
	body := pc.body[:length]
	if _, err := io.ReadFull(pc.r, body); err != nil {
		return err
	}
	if !bytes.Equal(body, c.want.body) {
		return fmt.Errorf("status %d: the body differs from the wanted %d bytes", status, len(c.want.body))
	}
	return nil
}

// readHead reads an answer's status line and headers and returns its status
// and Content-Length (0 when absent: a 304). A chunked answer or one that
// closes the connection is an error: the poll needs both sides to answer
// with a length on a kept-alive connection.
func (pc *pollConn) readHead() (status, length int, err error) {
	line, err := pc.r.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	for {
		line, err := pc.r.ReadSlice('\n')
		if err != nil {
			return 0, 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, length, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.Atoi(string(value))
			if err != nil {
				return 0, 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, 0, fmt.Errorf("Transfer-Encoding %q: want a Content-Length", value)
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			return 0, 0, fmt.Errorf("the server closes the connection")
		}
	}
}
