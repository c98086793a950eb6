package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/joho/godotenv"
	"go.yaml.in/yaml/v3"

	"github.com/configmat/configmat/test/e2etest"
)

// commandStrings are string values that a careless writer of a format gets
// wrong; export must hand each to every reader exactly. (None holds "${":
// the contract makes that a reference; the client commands' unit tests
// cover "${X}" with the same readers.)
var commandStrings = []string{
	`double "quotes" inside`,
	`it's a 'single' quote`,
	`'single-quoted'`,
	`$HOME and $1 and $$ and $(id) and a lone $`,
	"`id` in backticks",
	`back\slash \n \\ \t \" \' \$HOME`,
	"two\nlines\nand a trailing line feed\n",
	"crlf\r\nand a lone \r",
	"# a hash first",
	"inline # hash",
	"a=b=c",
	"  leading and trailing spaces  ",
	"\ttabs\t",
	"non-ASCII: żółć, 日本語, 🎉",
	"",
	"yes", "null", "~", "0x1F", "- item", ": colon", "{a: 1}", "[1]", "&anchor", "*alias",
}

// clientCLI runs the client commands of the binary against a stack with
// one API key.
type clientCLI struct {
	st    *stack
	addr  string
	key   string
	asset string
	env   string
}

// command is the binary with args, its environment the client's two
// variables and more (NAME=value).
func (c clientCLI) command(t *testing.T, args []string, more ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(e2etest.Binary(t), args...) // #nosec G204 -- the binary under test
	cmd.Env = append(e2etest.Environ(map[string]string{"CONFIGMAT_ADDR": c.addr, "CONFIGMAT_API_KEY": c.key}), more...)
	cmd.Dir = c.st.dir
	return cmd
}

// run runs the binary to its end and returns its exit status, stdout and
// stderr; stderr must hold no secret of the run (the API key included).
func (c clientCLI) run(t *testing.T, args []string, more ...string) (int, string, string) {
	t.Helper()
	cmd := c.command(t, args, more...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { <-ctx.Done(); _ = cmd.Process.Kill() }()
	_ = cmd.Wait()
	c.st.rec.checkNoSecrets(t, "stderr of configmat "+args[0], stderr.String())
	if strings.Contains(stdout.String(), c.key) {
		t.Errorf("configmat %s printed the API key", args[0])
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// flags returns the flags naming the asset and environment.
func (c clientCLI) flags(more ...string) []string {
	return append([]string{"--asset", c.asset, "--environment", c.env}, more...)
}

// TestClientCommands runs `configmat run` and `configmat export`, the same
// binary as the server, against a server on each store: the configuration
// in a child's environment over the parent's, every export format read back
// by a real reader, the server's refusals, --watch restarting the child on
// a change, and the fallback file used once the server has stopped.
func TestClientCommands(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, generousLimits)
		fx := st.newTenant(t)
		slug := fx.newAsset(t)
		password := st.secretValue()
		tricky := map[string]setValue{}
		for i, s := range commandStrings {
			v := plain(s)
			if i%3 == 0 {
				v = secret(s)
			}
			tricky[fmt.Sprintf("s%02d", i)] = v
		}
		fx.setValues(t, slug, "stage", objects{
			"database": {"host": plain("db.internal"), "port": plain(5432), "password": secret(password)},
			"features": {"beta": plain(true), "limits": plain(map[string]any{"rps": 10, "burst": []any{1, "x"}}), "none": plain(nil)},
			"tricky":   tricky,
			"app":      {"color": plain("red")},
		})
		key := fx.newAPIKey(t, "stage")
		cli := clientCLI{st: st, addr: st.srv.URL, key: key.Key, asset: slug, env: "stage"}

		var resolved resolvedConfig
		fx.sdk(key.Key).get(t, resolvedPath(slug, "stage")).want(t, http.StatusOK).decode(t, &resolved)

		t.Run("--help", func(t *testing.T) {
			for _, cmd := range []string{"run", "export"} {
				code, stdout, stderr := cli.run(t, []string{cmd, "--help"})
				if code != 0 || !strings.Contains(stdout+stderr, "Usage: configmat "+cmd) {
					t.Errorf("configmat %s --help exited %d with\n%s%s", cmd, code, stdout, stderr)
				}
			}
		})

		t.Run("run: the configuration over the parent's environment", func(t *testing.T) {
			script := `printf '%s|%s|%s|%s|%s|%s|%s' "$DATABASE_HOST" "$DATABASE_PORT" "$DATABASE_PASSWORD" "$FEATURES_BETA" "$FEATURES_LIMITS" "$FEATURES_NONE" "$PARENT_ONLY"`
			code, stdout, stderr := cli.run(t, append([]string{"run"}, cli.flags("--", "sh", "-c", script)...),
				"DATABASE_HOST=from-the-parent", "PARENT_ONLY=kept")
			want := `db.internal|5432|` + password + `|true|{"burst":[1,"x"],"rps":10}|null|kept`
			if code != 0 || stdout != want || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
			}
			code, _, _ = cli.run(t, append([]string{"run"}, cli.flags("--", "sh", "-c", "exit 7")...))
			if code != 7 {
				t.Errorf("run exited %d, want the child's 7", code)
			}
		})

		t.Run("export: every format read back by a real reader", func(t *testing.T) {
			testExportFormats(t, cli, resolved)
		})

		t.Run("the server's refusals are one line", func(t *testing.T) {
			for _, tt := range []struct {
				name, asset, env, want string
			}{
				{"an environment the key is not limited to", slug, "prod", "configmat: the server answered 403 PERMISSION_DENIED"},
				{"an asset that does not exist", "no-such-asset", "stage", "configmat: the server answered 404 ASSET_NOT_FOUND"},
			} {
				c := cli
				c.asset, c.env = tt.asset, tt.env
				code, stdout, stderr := c.run(t, append([]string{"export"}, c.flags()...))
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and one line starting %q", tt.name, code, stdout, stderr, tt.want)
				}
			}
			c := cli
			c.key = "cmk_" + strings.Repeat("A", 46)
			code, _, stderr := c.run(t, append([]string{"export"}, c.flags()...))
			if code != 1 || !strings.HasPrefix(stderr, "configmat: the server answered 401 ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("a wrong key: exit %d, stderr %q", code, stderr)
			}
		})

		t.Run("references are replaced in run and export", func(t *testing.T) {
			app := fx.newAsset(t)
			fx.setValues(t, app, "stage", objects{"db": {
				"url":  plain("postgres://app:${" + slug + "/database.password}@${" + slug + "/database.host}:${" + slug + "/database.port}/app"),
				"port": plain("${" + slug + "/database.port}"),
			}})
			c := cli
			c.asset = app
			code, stdout, stderr := c.run(t, append([]string{"export"}, c.flags("--format", "json")...))
			if code != 0 || stderr != "" {
				t.Fatalf("export exited %d (stderr %q)", code, stderr)
			}
			wantJSON(t, &response{label: "configmat export", body: []byte(stdout)},
				`{"db":{"port":5432,"url":"postgres://app:`+password+`@db.internal:5432/app"}}`)
			code, stdout, _ = c.run(t, append([]string{"run"}, c.flags("--", "sh", "-c", `printf '%s|%s' "$DB_PORT" "$DB_URL"`)...))
			if want := "5432|postgres://app:" + password + "@db.internal:5432/app"; code != 0 || stdout != want {
				t.Errorf("run exited %d with %q, want %q", code, stdout, want)
			}
		})

		t.Run("run --watch restarts the child on a change", func(t *testing.T) {
			testRunWatch(t, cli, fx, slug)
		})

		// Last: it stops the server.
		t.Run("the fallback file", func(t *testing.T) {
			testFallbackFile(t, cli, fx, password)
		})
	})
}

// testExportFormats exports every format through the binary and reads each
// back: dotenv with godotenv, shell with bash's eval, yaml with yaml.v3,
// json with encoding/json, and a template file.
func testExportFormats(t *testing.T, cli clientCLI, resolved resolvedConfig) {
	export := func(t *testing.T, more ...string) string {
		t.Helper()
		code, stdout, stderr := cli.run(t, append([]string{"export"}, cli.flags(more...)...))
		if code != 0 || stderr != "" {
			t.Fatalf("export %v exited %d\n%s", more, code, stderr)
		}
		return stdout
	}
	// want is every variable's value: strings as they are, the rest as JSON.
	want := map[string]string{}
	for object, keys := range resolved.Config {
		for key, raw := range keys {
			name := strings.ToUpper(strings.ReplaceAll(object+"_"+key, "-", "_"))
			var s string
			if raw[0] == '"' {
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatal(err)
				}
			} else {
				var buf bytes.Buffer
				if err := json.Compact(&buf, raw); err != nil {
					t.Fatal(err)
				}
				s = buf.String()
			}
			want[name] = s
		}
	}
	compare := func(t *testing.T, reader string, got map[string]string) {
		t.Helper()
		for _, name := range slices.Sorted(maps.Keys(want)) {
			if got[name] != want[name] {
				t.Errorf("%s: %s is %q, want %q", reader, name, got[name], want[name])
			}
		}
	}
	var wantDoc map[string]any
	if err := json.Unmarshal(mustMarshal(t, resolved.Config), &wantDoc); err != nil {
		t.Fatal(err)
	}

	t.Run("dotenv (the default)", func(t *testing.T) {
		got, err := godotenv.Unmarshal(export(t))
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "godotenv", got)
		if len(got) != len(want) {
			t.Errorf("godotenv read %d variables, want %d", len(got), len(want))
		}
	})
	t.Run("shell", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "config.sh")
		if err := os.WriteFile(file, []byte(export(t, "--format", "shell")), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("env", "-i", "bash", "-c", `eval "$(cat "$1")" && exec env -0`, "bash", file).Output()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, kv := range strings.Split(string(out), "\x00") {
			name, value, _ := strings.Cut(kv, "=")
			got[name] = value
		}
		compare(t, "bash", got)
	})
	t.Run("json", func(t *testing.T) {
		var got map[string]any
		if err := json.Unmarshal([]byte(export(t, "--format", "json")), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, wantDoc) {
			t.Errorf("json export:\n got %#v\nwant %#v", got, wantDoc)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		var got map[string]any
		if err := yaml.Unmarshal([]byte(export(t, "--format", "yaml")), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(jsonRoundTrip(t, got), wantDoc) {
			t.Errorf("yaml export:\n got %#v\nwant %#v", got, wantDoc)
		}
	})
	t.Run("template", func(t *testing.T) {
		tmpl := filepath.Join(t.TempDir(), "app.conf.tmpl")
		text := `{{.Asset}} {{.Environment}} v{{.Version}} host={{.Config.database.host}} port={{.Config.database.port}} password={{.Config.database.password}}`
		if err := os.WriteFile(tmpl, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		got := export(t, "--template", tmpl)
		wantText := fmt.Sprintf("%s %s v%d host=db.internal port=5432 password=%s", cli.asset, cli.env, resolved.Version, want["DATABASE_PASSWORD"])
		if got != wantText {
			t.Errorf("template gave %q, want %q", got, wantText)
		}
	})
}

// jsonRoundTrip turns a decoded YAML document into what encoding/json
// decodes the same document as (its integers become float64).
func jsonRoundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(mustMarshal(t, v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testRunWatch starts `run --watch` with a child that prints its color and
// waits for SIGTERM, changes the color through the API, and expects the
// child to be stopped and started again with the new one.
func testRunWatch(t *testing.T, cli clientCLI, fx *tenantFixture, slug string) {
	// The trap is set before the child says it runs; a SIGTERM waits for the
	// current short sleep, and no sleep outlives the child for long.
	script := `trap 'echo term; exit 0' TERM; echo "color=$APP_COLOR"; while :; do sleep 0.1; done`
	cmd := cli.command(t, append([]string{"run", "--watch", "--grace", "5s"}, cli.flags("--", "sh", "-c", script)...))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr e2etest.SafeBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	lines := make(chan string, 64)
	go func() {
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 4096)
		for {
			n, err := stdout.Read(chunk)
			buf = append(buf, chunk[:n]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				lines <- string(buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	go func() { _ = cmd.Wait(); exited <- cmd.ProcessState.ExitCode() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	next := func(want string) {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok || line != want {
				t.Fatalf("the child printed %q (open %v), want %q\nrun's stderr:\n%s", line, ok, want, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the child did not print %q within 30s\nrun's stderr:\n%s", want, stderr.String())
		}
	}
	next("color=red")
	changed := fx.setValues(t, slug, "stage", objects{"app": {"color": plain("blue")}})
	next("term")
	next("color=blue")
	// run said so before it started the new child, but its stderr reaches
	// this process through a pipe of its own: wait for the line to arrive.
	want := fmt.Sprintf("configmat: the configuration changed (version %d): restarting sh\n", changed.Version)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("run's stderr lacks %q:\n%s", want, stderr.String())
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	next("term")
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("run exited %d, want the child's 0\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not exit after its child; stderr:\n%s", stderr.String())
	}
	fx.st.rec.checkNoSecrets(t, "stderr of configmat run --watch", stderr.String())
}

// testFallbackFile reads once with --fallback-file, checks the file (mode
// 0600, no plaintext value), stops the server and runs from the file, with
// a warning; without the file, one line naming CONFIGMAT_ADDR.
func testFallbackFile(t *testing.T, cli clientCLI, fx *tenantFixture, password string) {
	var resolved resolvedConfig
	fx.sdk(cli.key).get(t, resolvedPath(cli.asset, cli.env)).want(t, http.StatusOK).decode(t, &resolved)
	file := filepath.Join(t.TempDir(), "configmat.fallback")
	code, _, stderr := cli.run(t, append([]string{"export", "--fallback-file", file}, cli.flags("--format", "json")...))
	if code != 0 || stderr != "" {
		t.Fatalf("export with the server up exited %d: %s", code, stderr)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatalf("no fallback file after a successful read: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("the fallback file has mode %o, want 600", mode)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, plaintext := range []string{password, "db.internal", "non-ASCII: żółć", `"config"`, cli.asset, cli.key} {
		if bytes.Contains(raw, []byte(plaintext)) {
			t.Errorf("the fallback file holds %q in plaintext", plaintext)
		}
	}

	cli.st.srv.Stop(t)
	code, stdout, stderr := cli.run(t, append([]string{"run", "--fallback-file", file}, cli.flags("--", "sh", "-c", `printf %s "$DATABASE_PASSWORD"`)...))
	wantWarning := fmt.Sprintf("configmat: warning: the server at CONFIGMAT_ADDR=%s could not be reached; using version %d of %s/%s from the fallback file %s\n",
		cli.addr, resolved.Version, cli.asset, cli.env, file)
	if code != 0 || stdout != password || stderr != wantWarning {
		t.Errorf("run from the fallback file: exit %d, the password printed: %v, stderr\n%q\nwant exit 0, the password and\n%q", code, stdout == password, stderr, wantWarning)
	}
	code, stdout, stderr = cli.run(t, append([]string{"export", "--fallback-file", file}, cli.flags("--format", "json")...))
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil || stderr != wantWarning {
		t.Errorf("export from the fallback file: exit %d, stderr %q", code, stderr)
	}

	for _, args := range [][]string{
		append([]string{"run"}, cli.flags("--", "sh", "-c", "echo ran")...),
		append([]string{"export"}, cli.flags()...),
	} {
		code, stdout, stderr := cli.run(t, args)
		wantStart := "configmat: cannot reach the ConfigMat server at CONFIGMAT_ADDR=" + cli.addr + " ("
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, wantStart) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("configmat %s with nothing reachable: exit %d, stdout %q, stderr %q; want exit 1 and one line starting %q", args[0], code, stdout, stderr, wantStart)
		}
	}
}
