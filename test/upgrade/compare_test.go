package upgrade_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// jsonOf returns v's JSON: v itself when it already is JSON text.
func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	switch b := v.(type) {
	case json.RawMessage:
		return b
	case []byte:
		return b
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b
}

// decode reads one JSON value keeping every number's spelling
// (json.Number), so that 1.50 and 1.5 differ.
func decode(t *testing.T, what string, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, b)
	}
	if d.More() {
		t.Fatalf("%s: trailing data after the JSON value: %s", what, b)
	}
	return v
}

// assertSameJSON fails t when got (JSON text or a value to marshal as the
// API does) is not the JSON value want: the same members, strings and
// literals, and numbers spelt the same. Member order and whitespace, and how
// a string's characters are escaped, are the API's formatting and do not count.
func assertSameJSON(t *testing.T, want json.RawMessage, got any) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the fixture has no expected answer")
	}
	gotJSON := jsonOf(t, got)
	diffs := diffJSON("$", decode(t, "expected", want), decode(t, "got", gotJSON), nil)
	if len(diffs) > 0 {
		const most = 20
		if len(diffs) > most {
			diffs = append(diffs[:most], fmt.Sprintf("... and %d more", len(diffs)-most))
		}
		t.Errorf("the new code reads back something else than the old release answered:\n  %s\nwant %s\ngot  %s",
			strings.Join(diffs, "\n  "), want, gotJSON)
	}
}

// diffJSON appends a line for every place where got differs from want.
func diffJSON(path string, want, got any, diffs []string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return append(diffs, fmt.Sprintf("%s: want an object, got %s", path, show(got)))
		}
		names := make([]string, 0, len(w)+len(g))
		for name := range w {
			names = append(names, name)
		}
		for name := range g {
			if _, ok := w[name]; !ok {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			wv, inWant := w[name]
			gv, inGot := g[name]
			p := path + "." + name
			switch {
			case !inGot:
				diffs = append(diffs, fmt.Sprintf("%s: missing (want %s)", p, show(wv)))
			case !inWant:
				diffs = append(diffs, fmt.Sprintf("%s: unexpected %s", p, show(gv)))
			default:
				diffs = diffJSON(p, wv, gv, diffs)
			}
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok {
			return append(diffs, fmt.Sprintf("%s: want an array, got %s", path, show(got)))
		}
		if len(w) != len(g) {
			return append(diffs, fmt.Sprintf("%s: want %d elements, got %d", path, len(w), len(g)))
		}
		for i := range w {
			diffs = diffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], diffs)
		}
		return diffs
	default:
		// json.Number compares by its text: the number's spelling.
		if want != got {
			return append(diffs, fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got)))
		}
		return diffs
	}
}

// show writes a decoded value for a message, numbers as spelt.
func show(v any) string {
	if n, ok := v.(json.Number); ok {
		return "number " + n.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return fmt.Sprintf("%T %s", v, b)
}

// TestAssertSameJSONKeepsNumberSpellings checks the comparison itself: a
// number spelt differently is a difference, member order and string
// escapes are not.
func TestAssertSameJSONKeepsNumberSpellings(t *testing.T) {
	for _, c := range []struct {
		name      string
		want, got string
		differs   bool
	}{
		{"same", `{"a":1.50,"b":[1e2,"x"]}`, `{"b":[1e2,"x"],"a":1.50}`, false},
		{"escapes", `{"s":"<é>"}`, `{"s":"\u003c\u00e9\u003e"}`, false},
		{"trailing zero", `{"a":1.50}`, `{"a":1.5}`, true},
		{"exponent", `[1e2]`, `[100]`, true},
		{"missing member", `{"a":1,"b":2}`, `{"a":1}`, true},
		{"extra member", `{"a":1}`, `{"a":1,"b":null}`, true},
		{"null and absent", `{"a":null}`, `{}`, true},
		{"order of an array", `[1,2]`, `[2,1]`, true},
		{"type", `{"a":"1"}`, `{"a":1}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			diffs := diffJSON("$", decode(t, "want", []byte(c.want)), decode(t, "got", []byte(c.got)), nil)
			if (len(diffs) > 0) != c.differs {
				t.Errorf("diffJSON(%s, %s) = %q, want a difference: %v", c.want, c.got, diffs, c.differs)
			}
		})
	}
}

// sortedKeys returns m's keys in order, for subtests in a stable order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
