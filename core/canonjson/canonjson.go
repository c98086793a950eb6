// Package canonjson implements the JSON Canonicalization Scheme (JCS) of
// RFC 8785 using only the Go standard library.
//
// The canonical form of a JSON text is produced as follows:
//
//   - no insignificant whitespace is emitted;
//   - object members are sorted by the UTF-16 code units of their names;
//   - strings are escaped as ECMAScript's JSON.stringify does: only the
//     quotation mark, the reverse solidus and the control characters below
//     U+0020 are escaped (\b \f \n \r \t, otherwise \u00xx in lower-case hex);
//     every other character, including non-ASCII ones, is written as
//     literal UTF-8;
//   - numbers are parsed as IEEE-754 doubles and serialized as ECMAScript's
//     Number.prototype.toString does (for example 1e+21, 1e-7, 0.000001,
//     100000000000000000000, and -0 as 0).
//
// Input that is not I-JSON (RFC 7493) is rejected: invalid JSON, trailing
// data after the top-level value, duplicate member names (compared after
// unescaping), numbers outside the finite double range, invalid UTF-8 and
// unpaired surrogates written as \u escapes.
package canonjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors returned (wrapped) by Canonicalize and Marshal. Use errors.Is to
// test for them.
var (
	// ErrInvalidJSON reports input that is not a syntactically valid JSON
	// text. The underlying decoder error, if any, is wrapped as well.
	ErrInvalidJSON = errors.New("canonjson: invalid JSON")
	// ErrTrailingData reports data after the top-level JSON value.
	ErrTrailingData = errors.New("canonjson: trailing data after top-level value")
	// ErrDuplicateName reports an object with two members of the same name.
	ErrDuplicateName = errors.New("canonjson: duplicate object member name")
	// ErrInvalidNumber reports a number that is not a finite IEEE-754 double
	// (for example 1e400).
	ErrInvalidNumber = errors.New("canonjson: number is not a finite IEEE-754 double")
	// ErrInvalidUnicode reports input that is not valid UTF-8 or a string
	// containing an unpaired surrogate written as a \u escape.
	ErrInvalidUnicode = errors.New("canonjson: invalid UTF-8 or unpaired surrogate")
	// ErrTooDeep reports arrays and objects nested more than MaxDepth levels.
	ErrTooDeep = errors.New("canonjson: nesting too deep")
)

// MaxDepth is the maximum nesting depth of arrays and objects accepted by
// Canonicalize. It matches the limit of encoding/json.
const MaxDepth = 10000

// Canonicalize parses the JSON text data and returns its RFC 8785 canonical
// form. It fails on invalid JSON, trailing data, duplicate object member
// names, numbers that are not finite IEEE-754 doubles, invalid UTF-8 and
// unpaired surrogates. The input slice is not modified.
func Canonicalize(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, errNotUTF8
	}
	if json.Valid(data) {
		return scan(data)
	}
	return walk(data)
}

// walk is Canonicalize through encoding/json's tokenizer, which says what
// is wrong with a text that is not valid JSON, and where.
func walk(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &walker{dec: dec, data: data}
	tok, err := w.next()
	if err != nil {
		return nil, err
	}
	out, err := w.value(make([]byte, 0, len(data)), tok)
	if err != nil {
		return nil, err
	}
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrTrailingData, err)
	default:
		return nil, fmt.Errorf("%w at offset %d", ErrTrailingData, w.off)
	}
}

// Marshal returns the RFC 8785 canonical JSON encoding of v. It encodes v
// with encoding/json.Marshal and then applies Canonicalize, so all numbers
// are converted to IEEE-754 doubles (integers beyond 2^53 lose precision,
// exactly as they would in ECMAScript).
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) { // a json.RawMessage's bytes are copied as they are
		return nil, errNotUTF8
	}
	return scan(b) // json.Marshal writes valid JSON: no need to check it again
}

// errNotUTF8 is what a text that is not UTF-8 fails with.
var errNotUTF8 = fmt.Errorf("%w: input is not valid UTF-8", ErrInvalidUnicode)

// walker pulls tokens from a json.Decoder and writes their canonical form.
type walker struct {
	dec   *json.Decoder
	data  []byte // the complete input, indexed by decoder offsets
	off   int64  // input offset just after the most recent token
	depth int
}

// next returns the next token, validating the raw text of string tokens.
// Reaching the end of input is an error because next is only called when a
// token is required.
func (w *walker) next() (json.Token, error) {
	tok, err := w.dec.Token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	start := w.off
	w.off = w.dec.InputOffset()
	if _, ok := tok.(string); ok {
		// The bytes since the previous token are optional whitespace, an
		// optional ',' or ':' and the string literal itself.
		raw := w.data[start:w.off]
		raw = raw[bytes.IndexByte(raw, '"'):]
		if err := checkSurrogates(raw); err != nil {
			return nil, fmt.Errorf("%w: %s at offset %d", ErrInvalidUnicode, err, start)
		}
	}
	return tok, nil
}

// value appends the canonical form of the value starting with tok to dst.
func (w *walker) value(dst []byte, tok json.Token) ([]byte, error) {
	switch t := tok.(type) {
	case json.Delim:
		// The decoder only returns '[' or '{' where a value is expected.
		w.depth++
		if w.depth > MaxDepth {
			return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
		}
		var err error
		if t == '[' {
			dst, err = w.array(dst)
		} else {
			dst, err = w.object(dst)
		}
		w.depth--
		return dst, err
	case string:
		return appendString(dst, t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrInvalidNumber, t)
		}
		return appendNumber(dst, f)
	case bool:
		return strconv.AppendBool(dst, t), nil
	default: // nil
		return append(dst, "null"...), nil
	}
}

// array appends the canonical form of an array whose '[' was just read.
func (w *walker) array(dst []byte) ([]byte, error) {
	dst = append(dst, '[')
	for i := 0; ; i++ {
		tok, err := w.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			return append(dst, ']'), nil
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = w.value(dst, tok); err != nil {
			return nil, err
		}
	}
}

// object appends the canonical form of an object whose '{' was just read.
func (w *walker) object(dst []byte) ([]byte, error) {
	var members []member
	var names map[string]struct{}
	for {
		tok, err := w.next()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			break
		}
		name := tok.(string) // the decoder only returns strings as keys
		if names, err = checkName(members, names, name); err != nil {
			return nil, err
		}
		if tok, err = w.next(); err != nil {
			return nil, err
		}
		val, err := w.value(nil, tok)
		if err != nil {
			return nil, err
		}
		members = append(members, member{name: name, value: val})
	}
	return appendObject(dst, members), nil
}

// checkSurrogates reports \u escapes in the raw, syntactically valid string
// literal raw (including its quotes) that encode an unpaired surrogate.
func checkSurrogates(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if raw[i] != 'u' {
			continue
		}
		r := hex4(raw[i+1:])
		i += 4 // now at the last hex digit
		switch {
		case utf16.IsSurrogate(r) && r >= 0xdc00:
			return fmt.Errorf("unpaired low surrogate \\u%04x", r)
		case utf16.IsSurrogate(r):
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if lo := hex4(raw[i+3:]); lo >= 0xdc00 && lo <= 0xdfff {
					i += 6
					continue
				}
			}
			return fmt.Errorf("unpaired high surrogate \\u%04x", r)
		}
	}
	return nil
}

// hex4 decodes the four hexadecimal digits at the start of b, which the
// JSON decoder has already validated.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c <= '9':
			r |= rune(c - '0')
		case c >= 'a':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// appendString appends s as a JSON string literal escaped as ECMAScript's
// JSON.stringify does. s must be valid UTF-8.
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendNumber appends f formatted as ECMAScript's Number.prototype.toString
// (ECMA-262, Number::toString) does, as required by RFC 8785 section 3.2.2.3.
// NaN and infinities are rejected.
func appendNumber(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%w: %v", ErrInvalidNumber, f)
	}
	if f == 0 { // also -0
		return append(dst, '0'), nil
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-tripping digits, as "d[.ddd]e±xx".
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := bytes.Cut([]byte(sci), []byte{'e'})
	digits := slices.DeleteFunc(mant, func(c byte) bool { return c == '.' })
	x, _ := strconv.Atoi(string(exp))
	k := len(digits) // number of significant digits
	n := x + 1       // position of the decimal point relative to digits
	switch {
	case k <= n && n <= 21: // integer: digits followed by n-k zeros
		dst = append(dst, digits...)
		dst = append(dst, bytes.Repeat([]byte{'0'}, n-k)...)
	case 0 < n && n <= 21: // decimal point inside the digits
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0: // small: 0.000ddd
		dst = append(dst, '0', '.')
		dst = append(dst, bytes.Repeat([]byte{'0'}, -n)...)
		dst = append(dst, digits...)
	default: // exponential notation
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst, nil
}
