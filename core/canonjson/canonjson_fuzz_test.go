package canonjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzCanonicalize checks, for any input, that Canonicalize either refuses it
// with one of its errors or returns compact JSON that means the same value,
// is its own canonical form (idempotence) and is what Marshal writes for
// that value (round trip).
func FuzzCanonicalize(f *testing.F) {
	for _, seed := range []string{
		`{"b":1,"a":[true,false,null],"c":{"z":"","y":-0}}`,
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001,-0.0]}`,
		`{"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
		`{"\u20ac":"Euro Sign","\r":"Carriage Return","1":"One","\ud83d\ude00":"Emoji","\u0080":"Control"}`,
		`[1,[2,[3,{"k":[4]}]]]`,
		`"<&>\u2028\u2029"`,
		`9007199254740993`,
		` 	{ "a" : 1 } `,
		`{"a":1,"a":2}`,
		`{"a":1e400}`,
		`"\ud800"`,
		`[1] [2]`,
		`{"a":`,
		"\"\xff\"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			if !isCanonjsonError(err) {
				t.Fatalf("Canonicalize(%q) = %v, not one of the package's errors", data, err)
			}
			if errors.Is(err, ErrInvalidJSON) && json.Valid(data) {
				t.Fatalf("Canonicalize(%q) = %v, but it is valid JSON", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Canonicalize(%q) accepted invalid JSON as %q", data, out)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, out); err != nil || !bytes.Equal(compact.Bytes(), out) {
			t.Fatalf("canonical form %q is not compact JSON (%v)", out, err)
		}
		again, err := Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Canonicalize(%q) = %q, %v; want it unchanged (idempotence)", out, again, err)
		}
		var sent, written any
		if err := json.Unmarshal(data, &sent); err != nil {
			t.Fatalf("decode input %q: %v", data, err)
		}
		if err := json.Unmarshal(out, &written); err != nil {
			t.Fatalf("decode canonical form %q: %v", out, err)
		}
		if !reflect.DeepEqual(sent, written) {
			t.Fatalf("canonical form %q decodes to %#v, the input %q to %#v", out, written, data, sent)
		}
		marshaled, err := Marshal(written)
		if err != nil || !bytes.Equal(marshaled, out) {
			t.Fatalf("Marshal of the decoded value = %q, %v; want %q", marshaled, err, out)
		}
	})
}

// isCanonjsonError reports whether err wraps one of Canonicalize's errors.
func isCanonjsonError(err error) bool {
	for _, want := range []error{ErrInvalidJSON, ErrTrailingData, ErrDuplicateName, ErrInvalidNumber, ErrInvalidUnicode, ErrTooDeep} {
		if errors.Is(err, want) {
			return true
		}
	}
	return false
}
