package domain

import (
	"encoding/json"
	"testing"
)

// FuzzShapeOfScalars holds jsonShapeProblem, whose shortcut checks a scalar
// without the tokenizer, to tokenShapeProblem's answer on every valid JSON
// value, scalars and containers alike.
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
		if got, want := jsonShapeProblem(v), tokenShapeProblem(v); got != want {
			t.Errorf("jsonShapeProblem(%q) = %q, the tokenizer says %q", v, got, want)
		}
	})
}
