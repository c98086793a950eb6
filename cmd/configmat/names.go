package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// resolved is one resolved configuration as the client commands use it.
type resolved struct {
	Asset       string
	Environment string
	Version     int
	// Values is the "config" object of the values route: {object:{key:value}}.
	Values map[string]map[string]json.RawMessage
	// FromFallback says the configuration was read from the fallback file.
	FromFallback bool
}

// envVar is one key of a configuration as an environment variable.
type envVar struct {
	// Name is the variable's name, e.g. DATABASE_HOST.
	Name string
	// Value is a string as is, any other JSON value as its compact JSON text.
	Value string
	// Path names the key, "object.key", for messages (never the value).
	Path string
}

// envName maps key of object to its variable name: upper case, "-" turned
// into "_", object and key joined by "_" (database.host -> DATABASE_HOST).
// ok is false when the result is not made only of ASCII letters, digits and
// "_" (names the contract's rules never produce, so only a server that broke
// them can send one).
func envName(object, key string) (name string, ok bool) {
	b := []byte(object + "_" + key)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c == '-':
			b[i] = '_'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return "", false
		}
	}
	return string(b), object != "" && key != ""
}

// valueText is the variable value of a JSON value: a string as is, anything
// else (null included) as its compact JSON text (5432, true, {"a":1}).
func valueText(raw json.RawMessage) (string, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// collisionError says that several keys map to one variable name.
type collisionError struct {
	Name  string
	Paths []string // sorted
}

func (e *collisionError) Error() string {
	last := len(e.Paths) - 1
	if last == 1 {
		return fmt.Sprintf("%s and %s both map to the variable %s: rename one of them", e.Paths[0], e.Paths[1], e.Name)
	}
	return fmt.Sprintf("%s and %s all map to the variable %s: rename all but one of them", strings.Join(e.Paths[:last], ", "), e.Paths[last], e.Name)
}

// keyError says why one key cannot become an environment variable; it names
// the key, never its value.
type keyError struct {
	Path   string
	Reason string
}

func (e *keyError) Error() string { return e.Path + ": " + e.Reason }

// variables maps a configuration to its environment variables, sorted by
// name. Every problem is reported at once, one line each (errors.Join): two
// keys mapping to one name (naming both), a name that is not a variable
// name, a value holding a NUL byte (no environment can carry one).
func variables(values map[string]map[string]json.RawMessage) ([]envVar, error) {
	byName := map[string][]envVar{}
	var problems []error
	for _, object := range slices.Sorted(maps.Keys(values)) {
		for _, key := range slices.Sorted(maps.Keys(values[object])) {
			path := object + "." + key
			name, ok := envName(object, key)
			if !ok {
				problems = append(problems, &keyError{Path: path, Reason: "its name does not map to an environment variable name (letters, digits and _)"})
				continue
			}
			text, err := valueText(values[object][key])
			if err != nil {
				problems = append(problems, &keyError{Path: path, Reason: "the server sent a value that is not JSON"})
				continue
			}
			if strings.IndexByte(text, 0) >= 0 {
				problems = append(problems, &keyError{Path: path, Reason: "its value holds a NUL character, which no environment variable can carry"})
				continue
			}
			byName[name] = append(byName[name], envVar{Name: name, Value: text, Path: path})
		}
	}
	out := make([]envVar, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		vs := byName[name]
		if len(vs) > 1 {
			paths := make([]string, len(vs))
			for i, v := range vs {
				paths[i] = v.Path
			}
			slices.Sort(paths)
			problems = append(problems, &collisionError{Name: name, Paths: paths})
			continue
		}
		out = append(out, vs[0])
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return out, nil
}

// withVariables returns base (KEY=value entries, as os.Environ gives them)
// with every variable of vars set: an entry of base with the same name is
// dropped, so the configuration wins.
func withVariables(base []string, vars []envVar) []string {
	set := make(map[string]bool, len(vars))
	for _, v := range vars {
		set[v.Name] = true
	}
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !set[name] {
			out = append(out, kv)
		}
	}
	for _, v := range vars {
		out = append(out, v.Name+"="+v.Value)
	}
	return out
}
