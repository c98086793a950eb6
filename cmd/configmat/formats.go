package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// Export formats of `configmat export --format`.
const (
	formatDotenv = "dotenv"
	formatShell  = "shell"
	formatJSON   = "json"
	formatYAML   = "yaml"
)

// exportFormats are the values --format accepts, in the order the usage
// lists them.
var exportFormats = []string{formatDotenv, formatJSON, formatYAML, formatShell}

// render writes cfg in format to a buffer: nothing is written to the
// command's output unless the whole rendering succeeded.
func render(format string, cfg resolved) ([]byte, error) {
	switch format {
	case formatDotenv:
		return renderDotenv(cfg.Values)
	case formatShell:
		return renderShell(cfg.Values)
	case formatJSON:
		return renderJSON(cfg.Values)
	case formatYAML:
		return renderYAML(cfg.Values)
	}
	return nil, fmt.Errorf("--format must be one of %s, got %q", strings.Join(exportFormats, ", "), format)
}

// renderDotenv writes one `NAME="value"` line per key, sorted by name.
func renderDotenv(values map[string]map[string]json.RawMessage) ([]byte, error) {
	vars, err := variables(values)
	if err != nil {
		return nil, err
	}
	var problems []error
	var buf bytes.Buffer
	for _, v := range vars {
		q, err := dotenvQuote(v.Value)
		if err != nil {
			problems = append(problems, &keyError{Path: v.Path, Reason: err.Error()})
			continue
		}
		buf.WriteString(v.Name + "=" + q + "\n")
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return buf.Bytes(), nil
}

// errDotenvEnding says that a value cannot be written as a dotenv line.
var errDotenvEnding = errors.New(`its value ends with a double quote or a backslash, which a double-quoted dotenv value cannot end with ` +
	`(github.com/joho/godotenv takes the quote, or the backslash, for the end of the escape): use --format shell, json or yaml`)

// dotenvQuote returns s as a double-quoted dotenv value that
// github.com/joho/godotenv (and the dotenv parsers that share its rules:
// escapes \n, \r, \" and \\, variables $NAME and ${NAME} expanded unless the
// $ is escaped) reads back as exactly s:
//
//   - \ becomes \\, " becomes \", $ becomes \$ (no variable is expanded);
//   - a line feed becomes \n and a carriage return \r, so that every
//     variable stays on one line;
//   - everything else (quotes ', backticks, #, =, spaces, tabs, any
//     Unicode) is written as is.
//
// godotenv finds the closing quote as the first " not preceded by a
// backslash, and then trims every " at both ends: a value ending with " or
// with \ has no spelling it reads back, so it is refused.
func dotenvQuote(s string) (string, error) {
	if strings.HasSuffix(s, `"`) || strings.HasSuffix(s, `\`) {
		return "", errDotenvEnding
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '$':
			b.WriteString(`\$`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// renderShell writes one `export NAME='value'` line per key, sorted by name,
// safe to eval in any POSIX shell: the value is single-quoted, where nothing
// is special but the closing quote, and each single quote of the value is
// written as a closing quote, an escaped quote and an opening quote.
func renderShell(values map[string]map[string]json.RawMessage) ([]byte, error) {
	vars, err := variables(values)
	if err != nil {
		return nil, err
	}
	var problems []error
	var buf bytes.Buffer
	for _, v := range vars {
		if !isShellName(v.Name) {
			problems = append(problems, &keyError{Path: v.Path, Reason: fmt.Sprintf("%s is not a shell variable name (it starts with a digit): use --format dotenv, json or yaml", v.Name)})
			continue
		}
		buf.WriteString("export " + v.Name + "=" + shellQuote(v.Value) + "\n")
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return buf.Bytes(), nil
}

// isShellName says whether name (made of A-Z, 0-9 and _) is a shell
// variable name: one that does not start with a digit.
func isShellName(name string) bool { return name != "" && (name[0] < '0' || name[0] > '9') }

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// renderJSON writes the config object, indented, keys sorted.
func renderJSON(values map[string]map[string]json.RawMessage) ([]byte, error) {
	if values == nil {
		values = map[string]map[string]json.RawMessage{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(values); err != nil {
		return nil, errors.New("the server sent a value that is not JSON")
	}
	return buf.Bytes(), nil
}

// renderYAML writes the config object as a YAML mapping of mappings. Every
// key is a double-quoted scalar (a key named true, null or 1 stays a string)
// and every value keeps its JSON type: strings double-quoted with YAML's
// escapes, numbers as their JSON text, objects and arrays in flow style.
func renderYAML(values map[string]map[string]json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	if len(values) == 0 {
		buf.WriteString("{}\n")
		return buf.Bytes(), nil
	}
	for _, object := range slices.Sorted(maps.Keys(values)) {
		keys := slices.Sorted(maps.Keys(values[object]))
		buf.WriteString(yamlString(object) + ":")
		if len(keys) == 0 {
			buf.WriteString(" {}\n")
			continue
		}
		buf.WriteString("\n")
		for _, key := range keys {
			v, err := decodeJSON(values[object][key])
			if err != nil {
				return nil, &keyError{Path: object + "." + key, Reason: "the server sent a value that is not JSON"}
			}
			buf.WriteString("  " + yamlString(key) + ": ")
			writeYAMLFlow(&buf, v)
			buf.WriteString("\n")
		}
	}
	return buf.Bytes(), nil
}

// decodeJSON decodes one JSON value, numbers as json.Number (their text).
func decodeJSON(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after a JSON value")
	}
	return v, nil
}

// writeYAMLFlow writes a decoded JSON value in YAML flow style.
func writeYAMLFlow(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case json.Number:
		buf.WriteString(v.String())
	case string:
		buf.WriteString(yamlString(v))
	case []any:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteString(", ")
			}
			writeYAMLFlow(buf, e)
		}
		buf.WriteByte(']')
	case map[string]any:
		buf.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				buf.WriteString(", ")
			}
			buf.WriteString(yamlString(k) + ": ")
			writeYAMLFlow(buf, v[k])
		}
		buf.WriteByte('}')
	}
}

// yamlString returns s as a YAML double-quoted scalar. Printable characters
// are written as they are, but for " and \; line breaks, tabs and every
// character YAML does not allow raw in a document (C0 and C1 controls, DEL,
// U+FEFF, U+FFFE, U+FFFF) or may read as a line break (U+0085, U+2028,
// U+2029) are escaped, so no reader folds or refuses the value. (Strings
// decoded from JSON hold no surrogate: encoding/json turns a lone one into
// U+FFFD.)
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			fmt.Fprintf(&b, `\x%02X`, r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// templateData is what a --template file sees.
type templateData struct {
	// Config is {object:{key:value}}, values decoded from JSON (strings,
	// json.Number, bool, nil, map[string]any, []any).
	Config      map[string]map[string]any
	Asset       string
	Environment string
	Version     int
}

// parseTemplate parses a --template file's text. A key the template names
// that the configuration lacks is an error (missingkey=error), rather than
// a silent "<no value>" in a generated file.
func parseTemplate(name string, text []byte) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(string(text))
}

// renderTemplate executes t over cfg.
func renderTemplate(t *template.Template, cfg resolved) ([]byte, error) {
	data := templateData{Config: map[string]map[string]any{}, Asset: cfg.Asset, Environment: cfg.Environment, Version: cfg.Version}
	for object, keys := range cfg.Values {
		data.Config[object] = make(map[string]any, len(keys))
		for key, raw := range keys {
			v, err := decodeJSON(raw)
			if err != nil {
				return nil, &keyError{Path: object + "." + key, Reason: "the server sent a value that is not JSON"}
			}
			data.Config[object][key] = v
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
