package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The name rules, checked by hand (a regular expression costs a slug check
// on every cached read): a first byte of first, then up to max-1 bytes of
// rest. names_test.go proves each equal to its regular expression.
var (
	// slugName is ^[a-z0-9][a-z0-9-]{0,62}$.
	slugName = nameRule{first: byteSet("a-z0-9"), rest: byteSet("a-z0-9-"), max: 63}
	// objectName is ^[a-z0-9][a-z0-9_-]{0,62}$.
	objectName = nameRule{first: byteSet("a-z0-9"), rest: byteSet("a-z0-9_-"), max: 63}
	// keyName is ^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$.
	keyName = nameRule{first: byteSet("A-Za-z0-9_"), rest: byteSet("A-Za-z0-9_-"), max: 128}
)

// nameRule is a name of 1 to max bytes: the first in first, the others in
// rest.
type nameRule struct {
	first, rest *[256]bool
	max         int
}

// matches reports whether s follows the rule.
func (r nameRule) matches(s string) bool {
	if s == "" || len(s) > r.max || !r.first[s[0]] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !r.rest[s[i]] {
			return false
		}
	}
	return true
}

// byteSet returns the set of the ASCII bytes a bracket expression's body
// lists: single bytes and ranges such as "a-z"; a '-' last is itself.
func byteSet(spec string) *[256]bool {
	var set [256]bool
	for i := 0; i < len(spec); i++ {
		if i+2 < len(spec) && spec[i+1] == '-' {
			for c := spec[i]; c <= spec[i+2]; c++ {
				set[c] = true
			}
			i += 2
			continue
		}
		set[spec[i]] = true
	}
	return &set
}

// Problems collects validation failures by field; an empty Problems is no error.
type Problems map[string]string

// Add records a problem with field.
func (p Problems) Add(field, problem string) { p[field] = problem }

// Err returns a VALIDATION_ERROR whose details name each bad field, or nil.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	e := Errorf(KindInvalid, "The request is invalid.")
	fields := make(map[string]any, len(p))
	for k, v := range p {
		fields[k] = v
	}
	e.Details = map[string]any{"fields": fields}
	return e
}

// CheckSlug validates an asset or tenant slug: ^[a-z0-9][a-z0-9-]{0,62}$.
func CheckSlug(p Problems, field, s string) {
	if !slugName.matches(s) {
		p.Add(field, "must match ^[a-z0-9][a-z0-9-]{0,62}$")
	}
}

// CheckEnvironmentName validates an environment name (the slug rule).
func CheckEnvironmentName(p Problems, field, s string) { CheckSlug(p, field, s) }

// CheckObjectName validates an object name: the slug rule with "_" allowed.
func CheckObjectName(p Problems, field, s string) {
	if !objectName.matches(s) {
		p.Add(field, "must match ^[a-z0-9][a-z0-9_-]{0,62}$")
	}
}

// CheckKeyName validates a key name: ^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$.
func CheckKeyName(p Problems, field, s string) {
	if !keyName.matches(s) {
		p.Add(field, "must match ^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$")
	}
}

// CheckText validates a free text of at most max characters, valid UTF-8 and
// without control characters other than newline and tab; required rejects "".
func CheckText(p Problems, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.Add(field, "is required")
	case !utf8.ValidString(s):
		p.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		p.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }):
		p.Add(field, "must not contain control characters")
	}
}

// NormalizeEmail lower-cases and trims an email address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckEmail validates a normalized email address.
func CheckEmail(p Problems, field, s string) {
	a, err := mail.ParseAddress(s)
	if s == "" || len(s) > MaxEmailLength || err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
		p.Add(field, "must be a valid email address")
	}
}

// CheckPassword validates a new password's length.
func CheckPassword(p Problems, field, s string) {
	if len(s) < MinPasswordLength || len(s) > MaxPasswordLength {
		p.Add(field, fmt.Sprintf("must be %d to %d bytes long", MinPasswordLength, MaxPasswordLength))
	}
}

// CheckValue validates one JSON value of a change set. JSON text must be
// UTF-8 (RFC 8259); encoding/json does not check it inside strings, and a
// value stored with other bytes would be served as invalid JSON.
func CheckValue(p Problems, field string, v json.RawMessage) {
	switch {
	case len(v) == 0:
		p.Add(field, "is required")
	case len(v) > MaxValueBytes:
		p.Add(field, fmt.Sprintf("must be at most %d bytes of JSON", MaxValueBytes))
	case !utf8.Valid(v) || !json.Valid(v):
		p.Add(field, "must be a JSON value")
	default:
		if problem := jsonShapeProblem(v); problem != "" {
			p.Add(field, problem)
		}
	}
}

// jsonShapeProblem checks what every client must be able to read back from a
// valid JSON value: nesting at most MaxValueDepth deep, and numbers that fit
// a float64 (JavaScript reads 1e400 as Infinity).
func jsonShapeProblem(v json.RawMessage) string {
	if !bytes.ContainsAny(v, "[{0123456789") {
		return ""
	}
	if scalar := bytes.TrimSpace(v); !bytes.ContainsAny(scalar, "[{") {
		// One string, number or literal, as most values are: only a
		// number can be out of range.
		if len(scalar) > 0 && (scalar[0] == '-' || scalar[0] >= '0' && scalar[0] <= '9') {
			return numberProblem(string(scalar))
		}
		return ""
	}
	return tokenShapeProblem(v)
}

// tokenShapeProblem is jsonShapeProblem for any valid JSON value, through
// encoding/json's tokenizer.
func tokenShapeProblem(v json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return "" // the end: json.Valid has vouched for the syntax
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '[' || t == '{' {
				depth++
				if depth > MaxValueDepth {
					return fmt.Sprintf("must nest at most %d levels deep", MaxValueDepth)
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

// numberProblem checks that a JSON number fits a float64.
func numberProblem(n string) string {
	if _, err := strconv.ParseFloat(n, 64); err != nil {
		return "must hold only numbers that fit a 64-bit float (no 1e400)"
	}
	return ""
}

// Slugify turns a display name into a slug candidate (may be empty).
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}
