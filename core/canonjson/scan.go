package canonjson

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scan is Canonicalize of data, which is valid JSON and valid UTF-8: a
// single pass over the bytes that checks only what JSON's grammar leaves
// open (duplicate names, the range of numbers, unpaired surrogates, the
// depth), much cheaper than a tokenizer's tokens.
func scan(data []byte) ([]byte, error) {
	s := scanner{data: data}
	return s.value(make([]byte, 0, len(data)))
}

// scanner reads a valid JSON text.
type scanner struct {
	data  []byte
	i     int
	depth int
}

// skipSpace moves past insignificant whitespace.
func (s *scanner) skipSpace() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value appends the canonical form of the value at s.i to dst.
func (s *scanner) value(dst []byte) ([]byte, error) {
	s.skipSpace()
	switch s.data[s.i] {
	case '{':
		return s.nested(dst, s.object)
	case '[':
		return s.nested(dst, s.array)
	case '"':
		if raw, ok := s.plainString(); ok {
			return append(dst, raw...), nil
		}
		str, err := s.string()
		if err != nil {
			return nil, err
		}
		return appendString(dst, str), nil
	case 't':
		s.i += len("true")
		return append(dst, "true"...), nil
	case 'f':
		s.i += len("false")
		return append(dst, "false"...), nil
	case 'n':
		s.i += len("null")
		return append(dst, "null"...), nil
	}
	return s.number(dst)
}

// nested runs read, an array's or an object's, one level deeper.
func (s *scanner) nested(dst []byte, read func([]byte) ([]byte, error)) ([]byte, error) {
	s.depth++
	if s.depth > MaxDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
	}
	dst, err := read(dst)
	s.depth--
	return dst, err
}

// number appends the canonical form of the number at s.i.
func (s *scanner) number(dst []byte) ([]byte, error) {
	start := s.i
	integer := true
	for ; s.i < len(s.data); s.i++ {
		c := s.data[s.i]
		if c == '.' || c == 'e' || c == 'E' || c == '+' {
			integer = false
			continue
		}
		if c != '-' && (c < '0' || c > '9') {
			break
		}
	}
	text := s.data[start:s.i]
	// An integer of at most 15 digits is exact as a double, and ECMAScript
	// writes it as its digits (valid JSON has no leading zeros); -0 is 0.
	if digits := len(text) - boolInt(text[0] == '-'); integer && digits <= 15 {
		if text[len(text)-1] == '0' && digits == 1 {
			return append(dst, '0'), nil
		}
		return append(dst, text...), nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidNumber, text)
	}
	return appendNumber(dst, f)
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// string reads the string literal at s.i and returns its value; an unpaired
// surrogate written as a \u escape is ErrInvalidUnicode.
func (s *scanner) string() (string, error) {
	s.i++ // the opening quotation mark
	start := s.i
	for s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			return s.escaped(start)
		}
		s.i++
	}
	s.i++
	return string(s.data[start : s.i-1]), nil
}

// plainString reads the string literal at s.i, quotes included, when it
// holds no escape: valid JSON has no control byte, quotation mark or
// backslash in a string either, so such a literal is its own canonical
// form. ok is false, and s.i unmoved, when it holds an escape.
func (s *scanner) plainString() (raw []byte, ok bool) {
	for j := s.i + 1; j < len(s.data); j++ {
		switch s.data[j] {
		case '"':
			raw, s.i = s.data[s.i:j+1], j+1
			return raw, true
		case '\\':
			return nil, false
		}
	}
	return nil, false
}

// escaped reads the rest of a string literal that started at start and has
// an escape at s.i.
func (s *scanner) escaped(start int) (string, error) {
	buf := append(make([]byte, 0, 2*(s.i-start)+16), s.data[start:s.i]...)
	for {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return string(buf), nil
		case c != '\\':
			buf = append(buf, c)
			s.i++
			continue
		}
		e := s.data[s.i+1]
		s.i += 2
		switch e {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := s.escapedRune()
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
		default: // '"', '\\', '/'
			buf = append(buf, e)
		}
	}
}

// escapedRune decodes the \u escape whose hexadecimal digits start at s.i,
// and the low surrogate's escape after a high surrogate.
func (s *scanner) escapedRune() (rune, error) {
	at := s.i - 2
	r := hex4(s.data[s.i:])
	s.i += 4
	switch {
	case !utf16.IsSurrogate(r):
		return r, nil
	case r >= 0xdc00:
		return 0, fmt.Errorf("%w: unpaired low surrogate \\u%04x at offset %d", ErrInvalidUnicode, r, at)
	}
	if s.i+6 <= len(s.data) && s.data[s.i] == '\\' && s.data[s.i+1] == 'u' {
		if lo := hex4(s.data[s.i+2:]); lo >= 0xdc00 && lo <= 0xdfff {
			s.i += 6
			return utf16.DecodeRune(r, lo), nil
		}
	}
	return 0, fmt.Errorf("%w: unpaired high surrogate \\u%04x at offset %d", ErrInvalidUnicode, r, at)
}

// array appends the canonical form of the array at s.i.
func (s *scanner) array(dst []byte) ([]byte, error) {
	s.i++ // '['
	dst = append(dst, '[')
	s.skipSpace()
	if s.data[s.i] == ']' {
		s.i++
		return append(dst, ']'), nil
	}
	for {
		var err error
		if dst, err = s.value(dst); err != nil {
			return nil, err
		}
		s.skipSpace()
		c := s.data[s.i]
		s.i++
		if c == ']' {
			return append(dst, ']'), nil
		}
		dst = append(dst, ',') // c is ','
	}
}

// member is an object member with its value in canonical form.
type member struct {
	name  string
	value []byte
}

// appendObject appends the object of members, sorted by the UTF-16 code
// units of their names.
func appendObject(dst []byte, members []member) []byte {
	slices.SortFunc(members, func(a, b member) int { return compareUTF16(a.name, b.name) })
	dst = append(dst, '{')
	for i, m := range members {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m.name)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}')
}

// object appends the canonical form of the object at s.i: its members
// sorted by the UTF-16 code units of their names, which must differ.
func (s *scanner) object(dst []byte) ([]byte, error) {
	s.i++ // '{'
	var members []member
	var names map[string]struct{} // beyond a few members
	for {
		s.skipSpace()
		c := s.data[s.i]
		if c == '}' {
			s.i++
			break
		}
		if c == ',' {
			s.i++
			s.skipSpace()
		}
		name, err := s.string()
		if err != nil {
			return nil, err
		}
		if names, err = checkName(members, names, name); err != nil {
			return nil, err
		}
		s.skipSpace()
		s.i++ // ':'
		value, err := s.value(nil)
		if err != nil {
			return nil, err
		}
		members = append(members, member{name: name, value: value})
	}
	return appendObject(dst, members), nil
}

// nameSetAt is the number of members from which an object's names are
// kept in a set rather than compared one by one.
const nameSetAt = 16

// checkName refuses name when one of members, the members read so far,
// has it, as soon as it is read (the tokenizer's order of errors). names is
// the set of their names once there are nameSetAt of them.
func checkName(members []member, names map[string]struct{}, name string) (map[string]struct{}, error) {
	if len(members) < nameSetAt {
		for _, m := range members {
			if m.name == name {
				return names, fmt.Errorf("%w: %q", ErrDuplicateName, name)
			}
		}
		return names, nil
	}
	if names == nil {
		names = make(map[string]struct{}, 2*nameSetAt)
		for _, m := range members {
			names[m.name] = struct{}{}
		}
	}
	if _, dup := names[name]; dup {
		return names, fmt.Errorf("%w: %q", ErrDuplicateName, name)
	}
	names[name] = struct{}{}
	return names, nil
}

// compareUTF16 orders valid UTF-8 strings by their UTF-16 code units, as
// RFC 8785 sorts names. That is the order of their code points, except
// that a character beyond U+FFFF (a surrogate pair, 0xD800 to 0xDFFF)
// comes before one of U+E000 to U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmp.Compare(firstUnit(ra), firstUnit(rb))*2 + cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r > 0xffff {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}
