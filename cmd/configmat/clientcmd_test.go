package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
)

// testAPIKey is the credential the client commands' tests run with: it must
// never appear in any output.
const testAPIKey = "cmk_NeverPrintedNeverPrintedNeverPrinted1234abcdef"

// clientRun is one in-process run of a client command.
type clientRun struct {
	args    []string
	env     map[string]string
	environ []string
	src     *fakeSource
	stdout  io.Writer
}

// exec runs the command line and returns its exit status, stdout and
// stderr; it checks that no output holds the API key.
func (c clientRun) exec(t *testing.T) (int, string, string) {
	t.Helper()
	env := map[string]string{envClientAPIKey: testAPIKey}
	for k, v := range c.env {
		env[k] = v
	}
	var stdout, stderr bytes.Buffer
	var out io.Writer = &stdout
	if c.stdout != nil {
		out = c.stdout
	}
	code := run(context.Background(), envFor(c.args, env, c.environ, out, &stderr, c.src))
	if strings.Contains(stdout.String()+stderr.String(), testAPIKey) {
		t.Errorf("configmat %s printed the API key", strings.Join(c.args, " "))
	}
	return code, stdout.String(), stderr.String()
}

// envFor is a command line's env with settings and a fake source (nil: one
// that must not be asked).
func envFor(args []string, settings map[string]string, environ []string, stdout, stderr io.Writer, src *fakeSource) env {
	return env{
		args: args, getenv: func(k string) string { return settings[k] }, environ: func() []string { return environ },
		stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		client: func(s clientSettings) (configSource, error) {
			if src == nil {
				return nil, fmt.Errorf("no source expected (settings %+v)", s.Addr)
			}
			return src, nil
		},
	}
}

func TestClientCommandLines(t *testing.T) {
	fifoless := filepath.Join(t.TempDir(), "missing.tmpl")
	badTemplate := filepath.Join(t.TempDir(), "bad.tmpl")
	if err := os.WriteFile(badTemplate, []byte("{{.Config"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{config: resolved{Asset: "a", Environment: "e", Version: 1, Values: config(t, map[string]string{"db.host": `"h"`})}}
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		src        *fakeSource
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "run --help", args: []string{"run", "--help"}, wantStderr: "Usage: configmat run --asset A --environment E [--watch]"},
		{name: "export --help", args: []string{"export", "--help"}, wantStderr: "Usage: configmat export --asset A --environment E [--format dotenv|json|yaml|shell]"},
		{name: "the usage lists both", args: []string{"--help"}, wantStdout: "configmat export --asset A"},
		{name: "run without --asset", args: []string{"run", "--environment", "e", "--", "true"}, wantCode: 2, wantStderr: "--asset is required"},
		{name: "run without a command", args: []string{"run", "--asset", "a", "--environment", "e"}, wantCode: 2, wantStderr: "the command to run is missing"},
		{name: "run with a zero grace", args: []string{"run", "--asset", "a", "--environment", "e", "--grace", "0s", "--", "true"}, wantCode: 2, wantStderr: "--grace must be a positive duration"},
		{name: "export without --environment", args: []string{"export", "--asset", "a"}, wantCode: 2, wantStderr: "--environment is required"},
		{name: "export in an unknown format", args: []string{"export", "--asset", "a", "--environment", "e", "--format", "toml"}, wantCode: 2,
			wantStderr: `--format must be one of dotenv, json, yaml, shell, got "toml"`},
		{name: "export with --format and --template", args: []string{"export", "--asset", "a", "--environment", "e", "--format", "json", "--template", badTemplate},
			wantCode: 2, wantStderr: "--format and --template exclude each other"},
		{name: "a template that is missing", args: []string{"export", "--asset", "a", "--environment", "e", "--template", fifoless}, wantCode: 2,
			wantStderr: "--template: open " + fifoless},
		{name: "a template that does not parse", args: []string{"export", "--asset", "a", "--environment", "e", "--template", badTemplate}, wantCode: 2,
			wantStderr: "--template: template: " + badTemplate},
		{name: "no API key", args: []string{"export", "--asset", "a", "--environment", "e"}, env: map[string]string{envClientAPIKey: " "}, wantCode: 2,
			wantStderr: "configmat: CONFIGMAT_API_KEY: must be set"},
		{name: "an address that is not a URL", args: []string{"run", "--asset", "a", "--environment", "e", "--", "true"}, env: map[string]string{envClientAddr: "127.0.0.1:8080"},
			wantCode: 2, wantStderr: "configmat: CONFIGMAT_ADDR: must be the server's http:// or https:// URL"},
		{name: "an address with a password", args: []string{"export", "--asset", "a", "--environment", "e"}, env: map[string]string{envClientAddr: "http://u:hunter2@h"},
			wantCode: 2, wantStderr: "configmat: CONFIGMAT_ADDR: must hold no user, password, query or fragment"},
		{name: "export", args: []string{"export", "--asset", "a", "--environment", "e"}, src: src, wantStdout: "DB_HOST=\"h\"\n"},
		{name: "run", args: []string{"run", "--asset", "a", "--environment", "e", "--", "sh", "-c", `printf %s "$DB_HOST"`}, src: src, wantStdout: "h"},
		{name: "run answers the child's status", args: []string{"run", "--asset", "a", "--environment", "e", "--", "sh", "-c", "exit 9"}, src: src, wantCode: 9},
		{name: "run of a command that does not exist", args: []string{"run", "--asset", "a", "--environment", "e", "--", "configmat-test-no-such-command"}, src: src,
			wantCode: 127, wantStderr: `configmat: cannot run configmat-test-no-such-command: exec: "configmat-test-no-such-command": executable file not found in $PATH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := clientRun{args: tt.args, env: tt.env, environ: helperEnviron(), src: tt.src}.exec(t)
			if code != tt.wantCode || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, want %d\nstdout %q, want %q in it\nstderr %q, want %q in it", code, tt.wantCode, stdout, tt.wantStdout, stderr, tt.wantStderr)
			}
			if tt.wantStdout == "" && tt.wantCode != 0 && stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestClientCommandsReadOnlyTheirVariables: run and export read
// CONFIGMAT_ADDR and CONFIGMAT_API_KEY and no server setting, so that an
// application's own DATABASE_URL or LOG_LEVEL never stops them and no
// ENCRYPTION_KEY is needed.
func TestClientCommandsReadOnlyTheirVariables(t *testing.T) {
	src := &fakeSource{config: resolved{Values: config(t, map[string]string{"db.host": `"h"`})}}
	for _, args := range [][]string{
		{"export", "--asset", "a", "--environment", "e"},
		{"run", "--asset", "a", "--environment", "e", "--", "true"},
	} {
		var mu sync.Mutex
		read := map[string]bool{}
		settings := map[string]string{envClientAPIKey: testAPIKey, "DB_POOL_SIZE": "abc", "LOG_LEVEL": "verbose", "DATABASE_URL": "mysql://x"}
		e := envFor(args, settings, nil, io.Discard, io.Discard, src)
		e.getenv = func(k string) string {
			mu.Lock()
			defer mu.Unlock()
			read[k] = true
			return settings[k]
		}
		if code := run(context.Background(), e); code != 0 {
			t.Errorf("configmat %s exited %d", args[0], code)
		}
		for name := range read {
			if name != envClientAddr && name != envClientAPIKey {
				t.Errorf("configmat %s read %s", args[0], name)
			}
		}
	}
}

// unreachable is the error of a source that could not reach the server.
type unreachable struct{}

func (unreachable) Error() string { return "dial tcp 127.0.0.1:8080: connect: connection refused" }
func (unreachable) Is(target error) bool {
	return target == errUnreachable
}

func TestNothingReachableIsOneLineNamingCONFIGMAT_ADDR(t *testing.T) {
	tests := []struct {
		name, addr, fallback, want string
	}{
		{name: "the default address", want: "configmat: cannot reach the ConfigMat server at CONFIGMAT_ADDR=http://127.0.0.1:8080 " +
			"(dial tcp 127.0.0.1:8080: connect: connection refused); set CONFIGMAT_ADDR to the server's URL, or pass --fallback-file\n"},
		{name: "an address with a path", addr: "https://config.example.com/base",
			want: "configmat: cannot reach the ConfigMat server at CONFIGMAT_ADDR=https://config.example.com/base " +
				"(dial tcp 127.0.0.1:8080: connect: connection refused); set CONFIGMAT_ADDR to the server's URL, or pass --fallback-file\n"},
		{name: "with a fallback file that cannot answer", fallback: "/tmp/cfg.enc",
			want: "configmat: cannot reach the ConfigMat server at CONFIGMAT_ADDR=http://127.0.0.1:8080 " +
				"(dial tcp 127.0.0.1:8080: connect: connection refused), and the fallback file /tmp/cfg.enc could not answer\n"},
	}
	for _, tt := range tests {
		for _, cmd := range [][]string{
			{"export", "--asset", "a", "--environment", "e"},
			{"run", "--asset", "a", "--environment", "e", "--", "sh", "-c", "echo ran"},
		} {
			t.Run(tt.name+"/"+cmd[0], func(t *testing.T) {
				args := slices.Clone(cmd)
				if tt.fallback != "" {
					args = slices.Insert(args, 1, "--fallback-file", tt.fallback)
				}
				code, stdout, stderr := clientRun{args: args, env: map[string]string{envClientAddr: tt.addr}, src: &fakeSource{err: unreachable{}}}.exec(t)
				if code != 1 || stdout != "" || stderr != tt.want {
					t.Errorf("exit %d, stdout %q, stderr\n%q\nwant exit 1, nothing on stdout and\n%q", code, stdout, stderr, tt.want)
				}
			})
		}
	}
}

func TestAConfigurationFromTheFallbackFileIsSaidSo(t *testing.T) {
	src := &fakeSource{config: resolved{Asset: "shop", Environment: "prod", Version: 4, FromFallback: true, Values: config(t, map[string]string{"db.host": `"h"`})}}
	for _, cmd := range [][]string{
		{"export", "--fallback-file", "/var/lib/app/cfg.enc", "--asset", "shop", "--environment", "prod", "--format", "json"},
		{"run", "--fallback-file", "/var/lib/app/cfg.enc", "--asset", "shop", "--environment", "prod", "--", "sh", "-c", `printf '{"db":{"host":"%s"}}' "$DB_HOST"`},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			code, stdout, stderr := clientRun{args: cmd, src: src}.exec(t)
			want := "configmat: warning: the server at CONFIGMAT_ADDR=http://127.0.0.1:8080 could not be reached; using version 4 of shop/prod from the fallback file /var/lib/app/cfg.enc\n"
			var got map[string]map[string]string
			if code != 0 || stderr != want || json.Unmarshal([]byte(stdout), &got) != nil || got["db"]["host"] != "h" {
				t.Errorf("exit %d, stdout %q, stderr %q; want the configuration and\n%q", code, stdout, stderr, want)
			}
		})
	}
}

// TestRunEnvironment: the child gets the parent's environment plus the
// configuration, the configuration winning; non-string values as JSON.
func TestRunEnvironment(t *testing.T) {
	src := &fakeSource{config: resolved{Values: config(t, map[string]string{
		"database.host": `"from-config"`, "database.port": `5432`, "features.flags": `{"beta":true}`, "features.off": `false`,
	})}}
	script := `printf '%s|%s|%s|%s|%s' "$DATABASE_HOST" "$DATABASE_PORT" "$FEATURES_FLAGS" "$FEATURES_OFF" "$PARENT_ONLY"`
	code, stdout, stderr := clientRun{
		args:    []string{"run", "--asset", "a", "--environment", "e", "--", "sh", "-c", script},
		environ: helperEnviron("DATABASE_HOST=from-parent", "PARENT_ONLY=kept"),
		src:     src,
	}.exec(t)
	if want := `from-config|5432|{"beta":true}|false|kept`; code != 0 || stdout != want {
		t.Errorf("exit %d, stdout %q (stderr %q), want %q", code, stdout, stderr, want)
	}
}

// TestCollisionsStopRunBeforeAnythingRuns: nothing is started, and the
// error names both keys.
func TestCollisionsStopRunBeforeAnythingRuns(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	src := &fakeSource{config: resolved{Values: config(t, map[string]string{"db.api-key": `"secret-a"`, "db.api_key": `"secret-b"`})}}
	code, stdout, stderr := clientRun{args: []string{"run", "--asset", "a", "--environment", "e", "--", "touch", marker}, src: src}.exec(t)
	want := "configmat: db.api-key and db.api_key both map to the variable DB_API_KEY: rename one of them\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran")
	}
	for _, format := range []string{"dotenv", "shell"} {
		code, stdout, stderr := clientRun{args: []string{"export", "--asset", "a", "--environment", "e", "--format", format}, src: src}.exec(t)
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("export --format %s: exit %d, stdout %q, stderr %q", format, code, stdout, stderr)
		}
	}
}

// TestRunWatchFollowsTheSource: --watch restarts the child for each new
// configuration of the source; one that cannot become variables is
// skipped with a line, and so is the end of the watch: the child keeps
// running until it exits.
func TestRunWatchFollowsTheSource(t *testing.T) {
	first := map[string]map[string]json.RawMessage{"configmat_test": {"helper": json.RawMessage(`"child"`)}, "app": {"color": json.RawMessage(`"red"`)}}
	src := &fakeSource{config: resolved{Version: 1, Values: first}, changes: make(chan resolved), watchErr: fmt.Errorf("the asset was deleted")}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := readLines(r)
	stderr := &e2etest.SafeBuffer{}
	e := envFor([]string{"run", "--watch", "--grace", "5s", "--asset", "a", "--environment", "e", "--", os.Args[0]},
		map[string]string{envClientAPIKey: testAPIKey}, helperEnviron(childPrintEnv+"=APP_COLOR"), w, stderr, src)
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), e); _ = w.Close() }()

	out.next(t, `env APP_COLOR="red"`, 30*time.Second)
	out.next(t, "ready", 10*time.Second)
	src.changes <- resolved{Version: 2, Values: map[string]map[string]json.RawMessage{
		"configmat_test": {"helper": json.RawMessage(`"child"`)}, "app": {"color": json.RawMessage(`"blue"`)}}}
	out.next(t, "signal SIGTERM 1", 10*time.Second)
	out.next(t, `env APP_COLOR="blue"`, 30*time.Second)
	c := readyLine(t, out.next(t, "ready", 10*time.Second))

	src.changes <- resolved{Version: 3, Values: map[string]map[string]json.RawMessage{
		"configmat_test": {"helper": json.RawMessage(`"child"`)}, "app": {"color": json.RawMessage(`"x"`), "Color": json.RawMessage(`"y"`)}}}
	close(src.changes)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "no longer following changes") {
		if time.Now().After(deadline) {
			t.Fatalf("run did not say the watch ended:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(c.pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out.next(t, "exit", 10*time.Second)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run exited %d\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not end with its child")
	}
	for _, want := range []string{
		"configmat: the configuration changed (version 2): restarting " + os.Args[0],
		"configmat: version 3 is not applied: app.Color and app.color both map to the variable APP_COLOR: rename one of them",
		"configmat: no longer following changes (the command keeps running): the asset was deleted",
	} {
		if !strings.Contains(stderr.String(), want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(out.String(), "ready pid"); n != 2 {
		t.Errorf("%d children started, want 2:\n%s", n, out)
	}
}
