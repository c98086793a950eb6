package e2etest

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// fakeServerEnv selects the fake server's behaviour when this test binary
// runs as one (see TestFakeServer).
const fakeServerEnv = "E2ETEST_FAKE_SERVER"

// fakeWarning is the fake server's last log line before it says it listens.
const fakeWarning = `{"level":"warning","msg":"development mode: DO NOT USE IN PRODUCTION"}`

// TestFakeServer is not a test: run as a child process with fakeServerEnv
// set, it plays a server for the harness's own tests. With "serve" it logs a
// burst of lines and fakeWarning to stderr, then prints its listening line to
// stdout, as configmat does, and on SIGTERM logs "stopped" and exits 0. With
// "refuse" it logs why it refuses to start and exits 3.
func TestFakeServer(t *testing.T) {
	mode := os.Getenv(fakeServerEnv)
	if mode == "" {
		t.Skip("runs only as the harness tests' fake server")
	}
	switch mode {
	case "serve":
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		for i := range 2000 {
			fmt.Fprintf(os.Stderr, `{"level":"info","msg":"start-up step %d"}`+"\n", i)
		}
		fmt.Fprintln(os.Stderr, fakeWarning)
		fmt.Fprintln(os.Stdout, "ConfigMat listening on http://127.0.0.1:1 (store: fake)")
		<-stop
		fmt.Fprintln(os.Stderr, `{"level":"info","msg":"stopped"}`)
		os.Exit(0)
	case "refuse":
		fmt.Fprintln(os.Stderr, "ENCRYPTION_KEY: required")
		os.Exit(3)
	}
	os.Exit(99)
}

// fakeServer returns the options that make this test binary a fake server.
func fakeServer(mode string) (string, Options) {
	return os.Args[0], Options{
		Args: []string{"-test.run=^TestFakeServer$"},
		// A test binary built with -race otherwise sleeps a second at exit.
		Env: map[string]string{fakeServerEnv: mode, "GORACE": "atexit_sleep_ms=0"},
	}
}

// TestPipeLogHasEverythingWritten: right after a write to the pipe returns,
// String holds it, with no wait; a write larger than the pipe's buffer
// completes (the background reader keeps the pipe drained); and end of file
// is seen once the write end is closed.
func TestPipeLogHasEverythingWritten(t *testing.T) {
	p, w, err := newPipeLog()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		line := fmt.Sprintf("line %d\n", i)
		if _, err := w.WriteString(line); err != nil {
			t.Fatal(err)
		}
		if got := p.String(); !strings.HasSuffix(got, line) {
			t.Fatalf("after writing %q the log ends with %q", line, got[max(0, len(got)-40):])
		}
	}
	before := len(p.String())
	big := bytes.Repeat([]byte("x"), 1<<20)
	if _, err := w.Write(big); err != nil {
		t.Fatal(err)
	}
	if got := len(p.String()) - before; got != len(big) {
		t.Fatalf("after a write of %d bytes the log grew by %d", len(big), got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if got := len(p.String()) - before; got != len(big) {
		t.Fatalf("after end of file the log grew by %d, want %d", got, len(big))
	}
}

// TestStartHasLogsWrittenBeforeListening: when Start returns, Logs holds
// every line the process wrote to stderr before its listening line on stdout,
// every time (TestEmbeddedStorePersists once missed the start-up warning);
// after Stop it holds the lines of the shutdown too.
func TestStartHasLogsWrittenBeforeListening(t *testing.T) {
	bin, o := fakeServer("serve")
	for round := range 5 {
		srv := startBinary(t, bin, o)
		if srv.URL != "http://127.0.0.1:1" {
			t.Fatalf("round %d: URL %q, want http://127.0.0.1:1", round, srv.URL)
		}
		if logs := srv.Logs(); !strings.HasSuffix(logs, fakeWarning+"\n") {
			t.Fatalf("round %d: right after Start the log ends with %q, want the warning logged before the listening line",
				round, logs[max(0, len(logs)-80):])
		}
		if code := srv.Stop(t); code != 0 {
			t.Fatalf("round %d: exit status %d after SIGTERM, want 0; log tail %q", round, code, tail(srv.Logs()))
		}
		if !strings.HasSuffix(srv.Logs(), `"msg":"stopped"}`+"\n") {
			t.Fatalf("round %d: after Stop the log ends with %q, want the shutdown line", round, tail(srv.Logs()))
		}
		if !strings.Contains(srv.Stdout(), "ConfigMat listening on") {
			t.Fatalf("round %d: stdout %q lacks the listening line", round, srv.Stdout())
		}
	}
}

// TestStartReportsRefusal: a process that exits before listening makes start
// fail with its exit status and its whole log.
func TestStartReportsRefusal(t *testing.T) {
	bin, o := fakeServer("refuse")
	_, err := start(t, bin, o)
	se, ok := err.(*startError)
	if !ok {
		t.Fatalf("start = %v, want a *startError", err)
	}
	if se.code != 3 || !strings.Contains(se.logs, "ENCRYPTION_KEY: required") {
		t.Fatalf("start error: exit %d, log %q; want exit 3 with the refusal", se.code, se.logs)
	}
}

// tail is the end of a log, for failure messages.
func tail(s string) string { return s[max(0, len(s)-200):] }
