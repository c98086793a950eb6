package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/configmat/configmat/core/domain"
)

// unmarshalerType is implemented by types that decode any JSON value
// themselves (json.RawMessage): their members are checked only for repeats.
var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkStrictJSON refuses what encoding/json lets through when it decodes
// body into a value of type t: a member name repeated in one object (the last
// one would silently win) and a struct field named in another case than its
// JSON name (encoding/json matches names case-insensitively, so
// {"secret":true,"Secret":false} would store a secret in plaintext). body must
// already have decoded without error. Both answer 400 INVALID_JSON naming the
// member by its path.
func checkStrictJSON(body []byte, t reflect.Type) error {
	s := &strictScanner{data: body}
	return s.value(t)
}

// strictScanner walks a JSON text that encoding/json has already accepted,
// one byte at a time: unlike json.Decoder.Token it allocates little more
// than member names, so the check costs less than the decoding.
type strictScanner struct {
	data []byte
	pos  int
	// path holds the names of the members being checked, outermost first.
	path []string
}

// value checks the value at the scanner's position, expected to decode into
// t (nil when any value is accepted), and moves past it.
func (s *strictScanner) value(t reflect.Type) error {
	switch s.next() {
	case '{':
		return s.object(acceptedType(t))
	case '[':
		return s.array(acceptedType(t))
	case '"':
		_, err := s.str()
		return err
	case 0:
		return errNotJSON()
	}
	// A number, true, false or null runs to the next delimiter.
	for s.pos < len(s.data) && strings.IndexByte(",]} \t\r\n", s.data[s.pos]) < 0 {
		s.pos++
	}
	return nil
}

// object checks the object at the scanner's position: no member twice and,
// for a struct, only its fields' exact JSON names.
func (s *strictScanner) object(t reflect.Type) error {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	return s.members('}', func() error {
		if s.next() != '"' {
			return errNotJSON()
		}
		name, err := s.str()
		if err != nil {
			return err
		}
		s.path = append(s.path, name)
		if seen[name] {
			member := s.member()
			return domain.Errorf(domain.KindInvalidJSON, "The request body repeats the member %s.", member).WithDetail("field", member)
		}
		seen[name] = true
		var next reflect.Type
		switch {
		case fields != nil:
			var ok bool
			if next, ok = fields[name]; !ok {
				return errUnknownField(s.member())
			}
		case t != nil && t.Kind() == reflect.Map:
			next = t.Elem()
		}
		if s.next() != ':' {
			return errNotJSON()
		}
		s.pos++
		if err := s.value(next); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		return nil
	})
}

// member names the member being checked by its path, as "set.database.url".
func (s *strictScanner) member() string { return strings.Join(s.path, ".") }

// array checks the elements of the array at the scanner's position.
func (s *strictScanner) array(t reflect.Type) error {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	return s.members(']', func() error { return s.value(elem) })
}

// members moves past the opening delimiter at the scanner's position, calls
// each for every comma-separated member, and moves past closing.
func (s *strictScanner) members(closing byte, each func() error) error {
	s.pos++
	if s.next() == closing {
		s.pos++
		return nil
	}
	for {
		if err := each(); err != nil {
			return err
		}
		switch s.next() {
		case ',':
			s.pos++
		case closing:
			s.pos++
			return nil
		default:
			return errNotJSON()
		}
	}
}

// str reads the string at the scanner's position and returns its text.
func (s *strictScanner) str() (string, error) {
	start, escaped := s.pos, false
	for s.pos++; s.pos < len(s.data); s.pos++ {
		switch s.data[s.pos] {
		case '\\':
			escaped = true
			s.pos++
		case '"':
			s.pos++
			raw := s.data[start:s.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var text string
			if err := json.Unmarshal(raw, &text); err != nil || loneSurrogate(raw, text) {
				return "", errNotJSON()
			}
			return text, nil
		}
	}
	return "", errNotJSON()
}

// loneSurrogate reports whether decoding the escaped string raw into text
// replaced a lone UTF-16 surrogate escape (\ud800) with U+FFFD, which
// encoding/json does silently: the text stored would not be the text sent.
func loneSurrogate(raw []byte, text string) bool {
	if !strings.ContainsRune(text, utf8.RuneError) {
		return false
	}
	sent := strings.Count(string(raw), "\uFFFD") + strings.Count(string(raw), "\ufffd") +
		strings.Count(string(raw), string(utf8.RuneError))
	return strings.Count(text, string(utf8.RuneError)) > sent
}

// next skips white space and returns the byte at the scanner's position,
// 0 at the end of the input.
func (s *strictScanner) next() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// acceptedType is t without pointers, or nil when t decodes any JSON value.
func acceptedType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

// acceptedKind is the kind of t without pointers.
func acceptedKind(t reflect.Type) reflect.Kind {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind()
}

// structFields caches jsonFields by struct type.
var structFields sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON names of a struct's exported fields, as
// encoding/json names them, to their types; embedded structs' fields are
// promoted.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if fields, ok := structFields.Load(t); ok {
		return fields.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && acceptedKind(f.Type) == reflect.Struct || !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	structFields.Store(t, fields)
	return fields
}
