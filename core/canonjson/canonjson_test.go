package canonjson

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestNumberSerializationAppendixB checks the sample table of RFC 8785
// Appendix B: IEEE-754 bit patterns and their expected JSON text.
func TestNumberSerializationAppendixB(t *testing.T) {
	tests := []struct {
		bits uint64
		want string // "" means the value must be rejected
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"}, // minus zero
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x7fffffffffffffff, ""}, // NaN
		{0x7ff0000000000000, ""}, // Infinity
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	}
	for _, tc := range tests {
		t.Run(strconv.FormatUint(tc.bits, 16), func(t *testing.T) {
			f := math.Float64frombits(tc.bits)
			got, err := appendNumber(nil, f)
			if tc.want == "" {
				if !errors.Is(err, ErrInvalidNumber) {
					t.Fatalf("appendNumber(%v) = %q, %v; want ErrInvalidNumber", f, got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("appendNumber(%v) = %q, %v; want %q", f, got, err, tc.want)
			}
			// The same value written as JSON text in Go's own notation.
			in := strconv.FormatFloat(f, 'g', -1, 64)
			got, err = Canonicalize([]byte(in))
			if err != nil || string(got) != tc.want {
				t.Fatalf("Canonicalize(%s) = %q, %v; want %q", in, got, err, tc.want)
			}
		})
	}
}

// TestCanonicalize covers the examples of RFC 8785 and the test data of its
// reference implementation (github.com/cyberphone/json-canonicalization,
// testdata/input and testdata/output) plus further cases. Expected outputs
// are literal; in Go interpreted strings a \uXXXX escape is the literal
// UTF-8 encoding of the character, not a JSON escape.
func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "RFC 8785 section 3.2.2 example",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "RFC 8785 section 3.2.3 sorting example",
			in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\"," +
				"\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\"," +
				"\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{
			name: "testdata arrays",
			in: `[
  56,
  {
    "d": true,
    "10": null,
    "1": [ ]
  }
]`,
			want: `[56,{"1":[],"10":null,"d":true}]`,
		},
		{
			name: "testdata french",
			in: `{
  "peach": "This sorting order",
  "péché": "is wrong according to French",
  "pêche": "but canonicalization MUST",
  "sin":   "ingnore locale"
}
`,
			want: `{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ingnore locale"}`,
		},
		{
			name: "testdata structures",
			in: `{
  "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
  "10": { },
  "": "empty",
  "a": { },
  "111": [ { } ],
  "A": { }
}`,
			want: `{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}`,
		},
		{
			name: "testdata unicode (no normalization)",
			in:   `{"Unnormalized Unicode":"\u1e0d\u0307"}`,
			want: "{\"Unnormalized Unicode\":\"\u1e0d\u0307\"}",
		},
		{
			name: "testdata values",
			in: `{
  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],
  "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"escaping":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}`,
		},
		{
			name: "testdata weird",
			in: `{
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
}
`,
			want: "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\"," +
				"\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\"," +
				"\"😂\":\"Smiley\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{name: "null", in: " null ", want: "null"},
		{name: "true", in: "\ttrue\n", want: "true"},
		{name: "false", in: "\r\nfalse", want: "false"},
		{name: "empty string", in: `""`, want: `""`},
		{name: "empty array", in: "[ ]", want: "[]"},
		{name: "empty object", in: "{ }", want: "{}"},
		{name: "top-level number", in: "-12.50e1", want: "-125"},
		{name: "minus zero", in: "-0", want: "0"},
		{name: "minus zero fraction", in: "-0.0e10", want: "0"},
		{name: "underflow to zero", in: "1e-400", want: "0"},
		{name: "integer-valued fraction", in: "1.0", want: "1"},
		{name: "exponent plain", in: "1E2", want: "100"},
		{name: "large integer plain", in: "123456789012345678901", want: "123456789012345680000"},
		{name: "1e21 exponent form", in: "1000000000000000000000", want: "1e+21"},
		{name: "1e-7 exponent form", in: "0.0000001", want: "1e-7"},
		{name: "negative small exponent", in: "-1.5e-7", want: "-1.5e-7"},
		{name: "beyond 2^53 rounds", in: "9007199254740993", want: "9007199254740992"},
		{name: "2^64", in: "18446744073709551615", want: "18446744073709552000"},
		{name: "fraction 0.1", in: "0.1", want: "0.1"},
		{name: "0.1+0.2 double", in: "0.30000000000000004", want: "0.30000000000000004"},
		{
			name: "control characters",
			in:   `"\u0000\u0001\u0008\u0009\u000a\u000b\u000c\u000d\u001f\u0020"`,
			want: `"\u0000\u0001\b\t\n\u000b\f\r\u001f "`,
		},
		{
			name: "escapes that become literal",
			in:   `"\/\u0041\u007f\u00e9\u2028\u2029\ufeff\uFFFF\uD83D\uDE00"`,
			want: "\"/A\u007fé\u2028\u2029\ufeff\uffff😀\"",
		},
		{
			name: "literal non-ASCII stays literal",
			in:   "\"日本語 \u2028 😀 <&>\"",
			want: "\"日本語 \u2028 😀 <&>\"",
		},
		{
			name: "quote and backslash",
			in:   `"a\"b\\c"`,
			want: `"a\"b\\c"`,
		},
		{
			name: "escaped backslash before u is not a unicode escape",
			in:   `"\\ud800"`,
			want: `"\\ud800"`,
		},
		{
			name: "names compared after unescaping",
			in:   `{"b":1,"\u0061":2}`,
			want: `{"a":2,"b":1}`,
		},
		{
			name: "key order by UTF-16 not code points",
			in:   `{"\uffff":1,"\ud800\udc00":2,"\ue000":3,"\u007f":4,"":5}`,
			want: "{\"\":5,\"\u007f\":4,\"\U00010000\":2,\"\ue000\":3,\"\uffff\":1}",
		},
		{
			name: "prefix sorts first",
			in:   `{"ab":1,"a":2,"abc":3,"B":4}`,
			want: `{"B":4,"a":2,"ab":1,"abc":3}`,
		},
		{
			name: "nested objects and arrays",
			in: `{"z":{"y":[3,{"b":null,"a":[true,false]}],"x":{}},
			      "a":[[],[[]],{"k":"v"}]}`,
			want: `{"a":[[],[[]],{"k":"v"}],"z":{"x":{},"y":[3,{"a":[true,false],"b":null}]}}`,
		},
		{
			name: "same name in different objects",
			in:   `{"a":{"a":1},"b":{"a":2}}`,
			want: `{"a":{"a":1},"b":{"a":2}}`,
		},
		{
			name: "array keeps order",
			in:   `[3, 1, "b", "a", null, 2.0]`,
			want: `[3,1,"b","a",null,2]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize: unexpected error %v", err)
			}
			if string(got) != tc.want {
				t.Fatalf("Canonicalize:\n got %q\nwant %q", got, tc.want)
			}
			// Canonical output is a fixed point.
			again, err := Canonicalize(got)
			if err != nil || string(again) != tc.want {
				t.Fatalf("Canonicalize(output) = %q, %v; want %q", again, err, tc.want)
			}
		})
	}
}

func TestCanonicalizeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty input", "", ErrInvalidJSON},
		{"only whitespace", " \n\t", ErrInvalidJSON},
		{"unclosed array", "[1,", ErrInvalidJSON},
		{"unclosed object", `{"a":1`, ErrInvalidJSON},
		{"missing value", `{"a":`, ErrInvalidJSON},
		{"unterminated string", `"abc`, ErrInvalidJSON},
		{"trailing comma in array", "[1,]", ErrInvalidJSON},
		{"trailing comma in object", `{"a":1,}`, ErrInvalidJSON},
		{"member without value", `{"a"}`, ErrInvalidJSON},
		{"non-string name", `{1:2}`, ErrInvalidJSON},
		{"missing comma", "[1 2]", ErrInvalidJSON},
		{"bad literal", "tru", ErrInvalidJSON},
		{"single quotes", `'a'`, ErrInvalidJSON},
		{"NaN literal", "NaN", ErrInvalidJSON},
		{"Infinity literal", "[Infinity]", ErrInvalidJSON},
		{"leading plus", "+1", ErrInvalidJSON},
		{"hex number", "[0x10]", ErrInvalidJSON},
		{"bad escape", `"\x"`, ErrInvalidJSON},
		{"raw control character", "\"a\x01b\"", ErrInvalidJSON},
		{"byte order mark", "\ufeff{}", ErrInvalidJSON},
		{"closing delimiter first", "]", ErrInvalidJSON},
		{"two values", "1 2", ErrTrailingData},
		{"leading zero", "01", ErrTrailingData},
		{"trailing garbage", "{} x", ErrTrailingData},
		{"extra closing bracket", "[]]", ErrTrailingData},
		{"two objects", "{}{}", ErrTrailingData},
		{"duplicate name", `{"a":1,"a":2}`, ErrDuplicateName},
		{"duplicate name after unescaping", `{"a":1,"\u0061":2}`, ErrDuplicateName},
		{"nested duplicate name", `[{"x":{"k":1,"j":2,"k":3}}]`, ErrDuplicateName},
		{"number too large", "1e400", ErrInvalidNumber},
		{"negative number too large", `{"n":-1.8e308}`, ErrInvalidNumber},
		{"invalid UTF-8", "\"\xff\"", ErrInvalidUnicode},
		{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", ErrInvalidUnicode},
		{"lone high surrogate", `"\ud800"`, ErrInvalidUnicode},
		{"lone low surrogate", `"\udc00"`, ErrInvalidUnicode},
		{"high surrogate then letter", `"\ud83dA"`, ErrInvalidUnicode},
		{"high surrogate then escape", `"\ud83d\u0041"`, ErrInvalidUnicode},
		{"high surrogate then other escape", `"\ud83d\n"`, ErrInvalidUnicode},
		{"two high surrogates", `"\ud83d\ud83d"`, ErrInvalidUnicode},
		{"reversed pair", `"\ude00\ud83d"`, ErrInvalidUnicode},
		{"lone surrogate in name", `{"\uDFFF":1}`, ErrInvalidUnicode},
		{"lone surrogate after valid escapes", `["ok", "\t\\\ud800"]`, ErrInvalidUnicode},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Canonicalize(%q) = %q, %v; want error %v", tc.in, got, err, tc.want)
			}
			if got != nil {
				t.Fatalf("Canonicalize(%q) returned output %q with error", tc.in, got)
			}
		})
	}
}

func TestCanonicalizeUnexpectedEOF(t *testing.T) {
	_, err := Canonicalize([]byte(`{"a":[1,2`))
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ErrInvalidJSON) {
		t.Fatalf("got %v; want ErrInvalidJSON wrapping io.ErrUnexpectedEOF", err)
	}
}

func TestCanonicalizeMaxDepthAccepted(t *testing.T) {
	in := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	got, err := Canonicalize([]byte(in))
	if err != nil || string(got) != in {
		t.Fatalf("Canonicalize(depth %d) failed: %v", MaxDepth, err)
	}
}

func TestCanonicalizeDoesNotModifyInput(t *testing.T) {
	in := []byte(`{"b": 2, "a": 1}`)
	const orig = `{"b": 2, "a": 1}`
	if _, err := Canonicalize(in); err != nil {
		t.Fatal(err)
	}
	if string(in) != orig {
		t.Fatalf("input modified: %q", in)
	}
}

func TestMarshal(t *testing.T) {
	type inner struct {
		Z float64 `json:"z"`
		A []int   `json:"a"`
	}
	type outer struct {
		Name    string            `json:"name"`
		Inner   inner             `json:"inner"`
		Tags    map[string]string `json:"tags"`
		Empty   *inner            `json:"empty"`
		Omitted string            `json:"omitted,omitempty"`
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{
			name: "struct fields sorted",
			in: outer{
				Name:  "<b>&",
				Inner: inner{Z: 1e21, A: []int{3, 1, 2}},
				Tags:  map[string]string{"ö": "x", "z": "\u2028", "A": "\x1f"},
			},
			want: "{\"empty\":null,\"inner\":{\"a\":[3,1,2],\"z\":1e+21}," +
				"\"name\":\"<b>&\",\"tags\":{\"A\":\"\\u001f\",\"z\":\"\u2028\",\"ö\":\"x\"}}",
		},
		{name: "nil", in: nil, want: "null"},
		{name: "float", in: 0.000001, want: "0.000001"},
		{name: "negative zero", in: math.Copysign(0, -1), want: "0"},
		{name: "large uint64", in: uint64(math.MaxUint64), want: "18446744073709552000"},
		{name: "raw message", in: map[string]any{"r": rawJSON(`{"y":1,"x":[1.50]}`)}, want: `{"r":{"x":[1.5],"y":1}}`},
		{name: "bytes", in: []byte("hi"), want: `"aGk="`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tc.want {
				t.Fatalf("Marshal:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// rawJSON is a json.Marshaler returning its own text.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{"channel", make(chan int)},
		{"NaN", math.NaN()},
		{"infinity", math.Inf(1)},
		{"function", func() {}},
		{"a raw message that is not UTF-8", map[string]json.RawMessage{"a": json.RawMessage("\"\xff\"")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Marshal(tc.in); err == nil {
				t.Fatalf("Marshal(%T) = %q; want error", tc.in, got)
			}
		})
	}
}

// BenchmarkCanonicalize measures the canonical form of a change set's
// audit details, as encoding/json writes them (the scanner's path), and of
// the same text through the tokenizer's walk, the path of invalid input.
func BenchmarkCanonicalize(b *testing.B) {
	details := []byte(`{"asset":"web-api","environment":"prod","version":41,"set":["database.password","database.port"],"unset":[],"message":"rotate \"db\"\n","ratio":1.5}`)
	for _, c := range []struct {
		name string
		fn   func([]byte) ([]byte, error)
	}{{"path=scan", Canonicalize}, {"path=walk", walk}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.fn(details); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
