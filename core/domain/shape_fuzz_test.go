package domain

import (
	"bytes"
	"encoding/json"
	"testing"
)

// decoderShapeProblem is jsonShapeProblem without its shortcut for a
// scalar: every value through encoding/json's tokenizer.
func decoderShapeProblem(v json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '[' || t == '{' {
				if depth++; depth > MaxValueDepth {
					return "depth"
				}
			} else {
				depth--
			}
		case json.Number:
			if problem := numberProblem(string(t)); problem != "" {
				return problem
			}
		}
	}
}

// FuzzShapeOfScalars holds jsonShapeProblem to the tokenizer's answer on
// every valid JSON value, scalars (its shortcut) and containers alike.
func FuzzShapeOfScalars(f *testing.F) {
	for _, seed := range []string{
		`123`, ` 1e400 `, `-1e400`, "\t-0\n", `1e308`, `2.5e-400`, `"1e400"`, `"a[1]"`,
		`true`, `null`, `[1e400]`, `{"a":1}`, ` "x" `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return
		}
		got, want := jsonShapeProblem(v), decoderShapeProblem(v)
		if (got == "") != (want == "") || (want != "depth" && got != want) {
			t.Errorf("jsonShapeProblem(%q) = %q, the tokenizer says %q", v, got, want)
		}
	})
}
