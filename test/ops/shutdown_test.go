package ops

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// TestShutdownFinishesInFlightRequest: a request whose body is still
// arriving when SIGTERM comes is served to the end, and the process exits 0.
func TestShutdownFinishesInFlightRequest(t *testing.T) {
	env := embeddedEnv(t, nil)
	srv := startServer(t, e2etest.Options{Env: env})
	acct := registerAccount(t, srv)
	acct.createAsset(t, "billing")

	body, err := json.Marshal(map[string]any{
		"message": "written slowly across a shutdown",
		"set":     map[string]any{"database": map[string]any{"host": map[string]any{"value": "db.internal"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("PATCH %s/assets/billing/environments/local HTTP/1.1\r\n"+
		"Host: %s\r\nAuthorization: Bearer %s\r\nX-Tenant: %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		apiBase, u.Host, acct.token, acct.tenant, len(body))
	half := len(body) / 2
	writeAll(t, conn, []byte(head))
	writeAll(t, conn, body[:half])
	// Let the server read the headers and start reading the body.
	time.Sleep(200 * time.Millisecond)

	if err := srv.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	writeAll(t, conn, body[half:])

	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response of the in-flight request: %v; log:\n%s", err, srv.Logs())
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("in-flight request answered %d, want 200; body %s", resp.StatusCode, data)
	}
	if v := decode[versioned](t, data).Version; v != 1 {
		t.Fatalf("in-flight change created version %d, want 1", v)
	}
	if code := srv.Wait(); code != 0 {
		t.Fatalf("exit status after SIGTERM %d, want 0; log:\n%s", code, srv.Logs())
	}
	requireNoPanic(t, srv.Logs())

	// The change was committed: a new process on the same folder serves it.
	again := startServer(t, e2etest.Options{Env: env, Dir: srv.Dir})
	resp2, data2 := acct.on(again).do(t, http.MethodGet, valuesPath("billing", "local"), nil)
	requireStatus(t, resp2, data2, http.StatusOK)
	if got := decode[resolved](t, data2); got.Version != 1 || got.Config["database"]["host"] != "db.internal" {
		t.Fatalf("after restart the values are %s, want version 1 with database.host", data2)
	}
}

// writeAll writes b to conn or fails t.
func writeAll(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	if _, err := conn.Write(b); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
}

// TestCleanShutdownLogsNoWarning: a SIGTERM with nothing in flight exits 0
// and logs no warning or error, on either store (the change feed's end is
// part of the shutdown, not a failure).
func TestCleanShutdownLogsNoWarning(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded store", func(t *testing.T) map[string]string { return embeddedEnv(t, nil) }},
		{"PostgreSQL", func(t *testing.T) map[string]string {
			return postgresEnv(pgtest.New(t).Fresh(t), newEncryptionKey(t), nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := e2etest.Start(t, e2etest.Options{Env: tt.env(t)})
			registerAccount(t, srv)
			if code := srv.Stop(t); code != 0 {
				t.Fatalf("exit status after SIGTERM %d, want 0; log:\n%s", code, srv.Logs())
			}
			entries, other := logEntries(srv.Logs())
			for _, e := range entries {
				if e.Level == "warning" || e.Level == "error" || e.Level == "fatal" {
					t.Errorf("a clean shutdown logged %s %q", e.Level, e.Msg)
				}
			}
			if len(other) > 0 {
				t.Errorf("lines that are not JSON log entries: %q", other)
			}
			if !strings.Contains(srv.Logs(), `"msg":"stopped"`) {
				t.Errorf("no stopped line:\n%s", srv.Logs())
			}
		})
	}
}
