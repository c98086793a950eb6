package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/joho/godotenv"
	"go.yaml.in/yaml/v3"
)

// trickyStrings are string values that a careless writer of any format
// gets wrong: every reader must get each back exactly.
var trickyStrings = []string{
	`double "quotes" inside`,
	`it's a 'single' quote`,
	`'starts and ends with single quotes'`,
	`"starts with a double quote`,
	`$HOME and $1 and $$ and $`,
	`${HOME} ${X} ${} ${X:-default} $(id)`,
	"`whoami` and `id` backticks",
	`back\slash \n \\ \t \$ \" \' \${X} \\$ end`,
	`'\''`,
	"two\nlines\n",
	"\nstarts with a line feed",
	"crlf\r\nand a lone \r carriage return",
	"# starts with a hash",
	"inline # hash and a# b",
	"a=b=c",
	"=",
	"  leading and trailing spaces  ",
	"\ttabs\tinside\t",
	"non-ASCII: żółć, 日本語, 🎉, é",
	"",
	" ",
	"control \x01 \x1b[31m \x7f characters",
	"line breaks YAML knows: \u0085 \u2028 \u2029 and \ufeff",
	"yes", "no", "on", "off", "null", "~", "true", "False", "0x1F", "0o17", "1e3", ".inf", "-.5", "012",
	"-", "- item", ": colon", "key: value", "{a: 1}", "[1, 2]", "&anchor", "*alias", "!tag", "%percent", "@at", "|", ">", "? q",
	"export FOO=bar",
	"--- document",
}

// dotenvUnwritable are values that no double-quoted dotenv line can hold
// (see dotenvQuote); every other format must still carry them.
var dotenvUnwritable = []string{`ends with a backslash \`, `ends with a double quote "`, `\`, `"`, `""`, `C:\Program Files\`}

// typedValues are non-string values, by key, as JSON.
var typedValues = map[string]string{
	"port":    `5432`,
	"ratio":   `1.50`,
	"tiny":    `-1e-7`,
	"on":      `true`,
	"off":     `false`,
	"nothing": `null`,
	"list":    `[1, "two", null, [], {}]`,
	"nested":  `{"a": {"b": ["x\ny", "it's", "$HOME", "\"q\""]}, "true": 1, "": "empty key"}`,
	"empty":   `{}`,
}

// trickyConfig is a configuration holding every value above: object
// "strings" (keys s00, s01, ...), object "typed" and, unless dotenv is to
// read it, object "undotenv".
func trickyConfig(t *testing.T, withUndotenv bool) map[string]map[string]json.RawMessage {
	t.Helper()
	cfg := map[string]map[string]json.RawMessage{"strings": {}, "typed": {}}
	for i, s := range trickyStrings {
		cfg["strings"][fmt.Sprintf("s%02d", i)] = mustJSON(t, s)
	}
	for k, v := range typedValues {
		cfg["typed"][k] = json.RawMessage(v)
	}
	if withUndotenv {
		cfg["undotenv"] = map[string]json.RawMessage{}
		for i, s := range dotenvUnwritable {
			cfg["undotenv"][fmt.Sprintf("u%02d", i)] = mustJSON(t, s)
		}
	}
	return cfg
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantVariables is what a reader of dotenv or shell output must get for
// cfg: every key's name and value as variables() defines them (checked by
// TestVariableNamesAndValues).
func wantVariables(t *testing.T, cfg map[string]map[string]json.RawMessage) map[string]string {
	t.Helper()
	vars, err := variables(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, v := range vars {
		want[v.Name] = v.Value
	}
	if len(want) < len(trickyStrings)+len(typedValues) {
		t.Fatalf("only %d variables", len(want))
	}
	return want
}

// compareVariables checks that got holds exactly want's names, each with
// want's value.
func compareVariables(t *testing.T, reader string, got, want map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: %s is missing", reader, name)
		} else if g != want[name] {
			t.Errorf("%s: %s is %q, want %q", reader, name, g, want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected variable %s=%q", reader, name, got[name])
		}
	}
}

func TestDotenvIsReadBackByGodotenv(t *testing.T) {
	cfg := trickyConfig(t, false)
	out, err := render(formatDotenv, resolved{Values: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		name, value, ok := strings.Cut(line, "=")
		if !ok || !isShellName(name) || len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
			t.Errorf("line %q is not NAME=\"value\"", line)
		}
	}
	got, err := godotenv.Unmarshal(string(out))
	if err != nil {
		t.Fatalf("godotenv cannot read the output: %v\n%s", err, out)
	}
	compareVariables(t, "godotenv", got, wantVariables(t, cfg))
	// Expanding variables: godotenv expands $NAME from the file itself.
	if !strings.Contains(string(out), `\$`) {
		t.Error("no $ was escaped")
	}
}

func TestDotenvRefusesValuesItCannotWrite(t *testing.T) {
	for i, s := range dotenvUnwritable {
		t.Run(s, func(t *testing.T) {
			key := fmt.Sprintf("u%02d", i)
			cfg := map[string]map[string]json.RawMessage{"undotenv": {key: mustJSON(t, s)}, "ok": {"x": mustJSON(t, "fine")}}
			out, err := render(formatDotenv, resolved{Values: cfg})
			var ke *keyError
			if !errors.As(err, &ke) || ke.Path != "undotenv."+key || !errors.Is(err, errDotenvEnding) && !strings.Contains(err.Error(), errDotenvEnding.Error()) {
				t.Fatalf("error %v (output %q), want a keyError naming undotenv.%s", err, out, key)
			}
			if strings.Contains(err.Error(), s) && s != `\` && s != `"` {
				t.Errorf("the error shows the value: %v", err)
			}
		})
	}
}

func TestShellIsReadBackByEval(t *testing.T) {
	cfg := trickyConfig(t, true)
	want := wantVariables(t, cfg)
	out, err := render(formatShell, resolved{Values: cfg})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.sh")
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"bash", "sh"} {
		t.Run(shell, func(t *testing.T) {
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Fatalf("%s is needed to check the shell format: %v", shell, err)
			}
			// eval the file in an empty environment, then print the exported
			// environment as the next process sees it, NUL-separated.
			cmd := exec.Command("env", "-i", path, "-c", `eval "$(cat "$1")" && exec env -0`, shell, file)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			printed, err := cmd.Output()
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("eval failed: %v\n%s", err, stderr.String())
			}
			got := map[string]string{}
			for _, kv := range strings.Split(strings.TrimSuffix(string(printed), "\x00"), "\x00") {
				name, value, _ := strings.Cut(kv, "=")
				if _, ours := want[name]; ours {
					got[name] = value
				}
			}
			compareVariables(t, shell, got, want)
		})
	}
}

func TestShellRefusesNamesAShellCannotSet(t *testing.T) {
	cfg := map[string]map[string]json.RawMessage{"1st": {"key": mustJSON(t, "secret-value")}, "ok": {"x": mustJSON(t, "x")}}
	_, err := render(formatShell, resolved{Values: cfg})
	if err == nil || err.Error() != "1st.key: 1ST_KEY is not a shell variable name (it starts with a digit): use --format dotenv, json or yaml" {
		t.Errorf("error %v", err)
	}
}

// normalizeYAML turns the integers yaml.v3 decodes into the float64 that
// encoding/json decodes every number into.
func normalizeYAML(v any) any {
	switch v := v.(type) {
	case int:
		return float64(v)
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeYAML(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalizeYAML(e)
		}
	}
	return v
}

func TestYAMLAndJSONAreReadBackByTheirParsers(t *testing.T) {
	cfg := trickyConfig(t, true)
	var want map[string]any
	if err := json.Unmarshal(mustJSON(t, cfg), &want); err != nil {
		t.Fatal(err)
	}
	readers := []struct {
		format string
		read   func([]byte) (map[string]any, error)
	}{
		{formatJSON, func(b []byte) (map[string]any, error) {
			var v map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			err := dec.Decode(&v)
			if err == nil && dec.More() {
				err = errors.New("more than one JSON value")
			}
			return v, err
		}},
		{formatYAML, func(b []byte) (map[string]any, error) {
			var v map[string]any
			err := yaml.Unmarshal(b, &v)
			normalizeYAML(v)
			return v, err
		}},
	}
	for _, r := range readers {
		t.Run(r.format, func(t *testing.T) {
			out, err := render(r.format, resolved{Values: cfg})
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.read(out)
			if err != nil {
				t.Fatalf("%s cannot be read back: %v\n%s", r.format, err, out)
			}
			for _, object := range slices.Sorted(maps.Keys(want)) {
				wo, _ := want[object].(map[string]any)
				go_, _ := got[object].(map[string]any)
				for _, key := range slices.Sorted(maps.Keys(wo)) {
					if !reflect.DeepEqual(go_[key], wo[key]) {
						t.Errorf("%s.%s is %#v, want %#v", object, key, go_[key], wo[key])
					}
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the documents differ:\n got %#v\nwant %#v", got, want)
			}
		})
	}
	t.Run("an empty configuration", func(t *testing.T) {
		for _, format := range []string{formatJSON, formatYAML} {
			out, err := render(format, resolved{})
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if format == formatJSON {
				err = json.Unmarshal(out, &v)
			} else {
				err = yaml.Unmarshal(out, &v)
			}
			if err != nil || v == nil || len(v) != 0 {
				t.Errorf("%s of nothing is %q (%v), want an empty mapping", format, out, err)
			}
		}
	})
}

func TestTemplates(t *testing.T) {
	cfg := resolved{Asset: "shop", Environment: "prod", Version: 7, Values: config(t, map[string]string{
		"database.host": `"db.internal"`, "database.port": `5432`, "database.ratio": `1.50`, "my-app.api-key": `"k$1 'x'"`,
		"flags.on": `true`, "flags.list": `[1,"a"]`,
	})}
	tests := []struct {
		name, template, want, wantErr string
	}{
		{name: "fields", template: `{{.Asset}}/{{.Environment}} v{{.Version}}`, want: "shop/prod v7"},
		{name: "strings as is, numbers as their JSON text", template: `{{.Config.database.host}}:{{.Config.database.port}} {{.Config.database.ratio}} {{.Config.flags.on}}`,
			want: "db.internal:5432 1.50 true"},
		{name: "names with - through index", template: `{{index .Config "my-app" "api-key"}}`, want: `k$1 'x'`},
		{name: "range over an array", template: `{{range .Config.flags.list}}[{{.}}]{{end}}`, want: "[1][a]"},
		{name: "range over the keys, sorted", template: `{{range $k, $v := .Config.database}}{{$k}} {{end}}`, want: "host port ratio "},
		{name: "a missing key is an error", template: `{{.Config.database.password}}`, wantErr: `map has no entry for key "password"`},
		{name: "a missing object is an error", template: `{{.Config.cache.url}}`, wantErr: `map has no entry for key "cache"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplate("t", []byte(tt.template))
			if err != nil {
				t.Fatal(err)
			}
			out, err := renderTemplate(tmpl, cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q (output %q)", err, tt.wantErr, out)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Errorf("got %q (%v), want %q", out, err, tt.want)
			}
		})
	}
}

// TestTemplateFromAFIFO: the template file is read once, so a FIFO (or a
// shell's <(...)) works; the writer writes it once and closes it.
func TestTemplateFromAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "template.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // blocks until the reader opens it
		if err != nil {
			wrote <- err
			return
		}
		_, err = f.WriteString(`host={{.Config.database.host}}`)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		wrote <- err
	}()
	tmpl, err := readTemplate(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	out, err := renderTemplate(tmpl, resolved{Values: config(t, map[string]string{"database.host": `"db"`})})
	if err != nil || string(out) != "host=db" {
		t.Errorf("got %q (%v)", out, err)
	}
}
