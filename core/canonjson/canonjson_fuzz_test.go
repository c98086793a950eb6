package canonjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
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

// FuzzScanMatchesWalk checks that the scanner, Canonicalize's path for
// valid JSON, writes what the tokenizer's walk writes, and refuses what it
// refuses with the same error.
func FuzzScanMatchesWalk(f *testing.F) {
	for _, seed := range []string{
		`{"b":1,"a":[true,false,null],"c":{"z":"","y":-0}}`,
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001,-0.0,-0,0,7,-12,123456789012345,1234567890123456,1e2,-1E+2]}`,
		`{"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
		`{"\u20ac":"Euro Sign","\r":"Carriage Return","1":"One","\ud83d\ude00":"Emoji","\u0080":"Control","\uffff":"last","\ue000":"private"}`,
		`[1,[2,[3,{"k":[4]}]]]`, `"<&>\u2028\u2029"`, `9007199254740993`, " \t{ \"a\" : 1 ,\"b\":[ ] , \"c\" : { } } ",
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":1e400}`, `"\ud800"`, `"\udc00x"`, `"\ud83d\u0041"`, `["ok","\t\\\ud800"]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return // Canonicalize does not scan it
		}
		got, gotErr := scan(data)
		want, wantErr := walk(data)
		if !bytes.Equal(got, want) || sentinel(gotErr) != sentinel(wantErr) {
			t.Fatalf("scan(%q) = %q, %v; walk = %q, %v", data, got, gotErr, want, wantErr)
		}
	})
}

// sentinel is the package error that err wraps, or nil.
func sentinel(err error) error {
	for _, e := range []error{ErrInvalidJSON, ErrTrailingData, ErrDuplicateName, ErrInvalidNumber, ErrInvalidUnicode, ErrTooDeep} {
		if errors.Is(err, e) {
			return e
		}
	}
	return err
}
