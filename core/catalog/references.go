package catalog

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/configmat/configmat/core/domain"
)

// MaxReferenceDepth is the longest chain of references a value may start:
// a value that references a value that references ... at most this many
// times.
const MaxReferenceDepth = 10

// Reasons of a REFERENCE_ERROR.
const (
	reasonMissing = "missing"
	reasonCycle   = "cycle"
	reasonTooDeep = "too_deep"
)

// reference is one ${...} of a value: Asset is "" for the value's own asset.
type reference struct {
	Asset, Object, Key string
	// Text is the reference as written, "${...}".
	Text string
}

// segment is a part of a template: literal text, or a reference.
type segment struct {
	literal string
	ref     *reference
}

// template is a string value parsed for references.
type template struct {
	segments []segment
}

// whole reports whether the template is exactly one reference, whose value
// then keeps its JSON type.
func (t template) whole() bool { return len(t.segments) == 1 && t.segments[0].ref != nil }

// refs lists the template's references.
func (t template) refs() []reference {
	var out []reference
	for _, s := range t.segments {
		if s.ref != nil {
			out = append(out, *s.ref)
		}
	}
	return out
}

// templateOpen opens a reference in a value's JSON text.
var templateOpen = []byte("${")

// parseValue parses a stored value for references: only a JSON string can
// hold them. ok is false for a value without any reference or escape (it
// resolves to itself); a malformed reference is an error naming it.
func parseValue(v json.RawMessage) (t template, ok bool, err error) {
	if len(v) == 0 || v[0] != '"' || !bytes.Contains(v, templateOpen) {
		return template{}, false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return template{}, false, domain.Wrap(err, "Could not read a value.")
	}
	t, err = parseTemplate(s)
	return t, err == nil, err
}

// parseTemplate splits s into literal text and references, left to right:
// "$${" is a literal "${", "${asset/object.key}" or "${object.key}" a
// reference ("$$${a.b}" is "$" and a literal "${a.b}").
func parseTemplate(s string) (template, error) {
	var (
		t   template
		lit strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			t.segments = append(t.segments, segment{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return template{}, malformedReference(s[i:])
			}
			text := s[i : i+end+1]
			ref, ok := parseReference(text)
			if !ok {
				return template{}, malformedReference(text)
			}
			flush()
			t.segments = append(t.segments, segment{ref: &ref})
			i += end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	flush()
	return t, nil
}

// parseReference reads "${[asset/]object.key}".
func parseReference(text string) (reference, bool) {
	body := text[2 : len(text)-1]
	ref := reference{Text: text}
	if slug, rest, found := strings.Cut(body, "/"); found {
		if slug == "" {
			return reference{}, false
		}
		ref.Asset, body = slug, rest
	}
	obj, key, found := strings.Cut(body, ".")
	if !found {
		return reference{}, false
	}
	ref.Object, ref.Key = obj, key
	p := domain.Problems{}
	if ref.Asset != "" {
		domain.CheckSlug(p, "asset", ref.Asset)
	}
	domain.CheckObjectName(p, "object", obj)
	domain.CheckKeyName(p, "key", key)
	return ref, len(p) == 0
}

// malformedReference is the VALIDATION_ERROR of a "${" that is no reference.
func malformedReference(text string) error {
	if len(text) > 80 {
		text = text[:80]
	}
	return domain.Errorf(domain.KindInvalid, "A value holds a malformed reference; write $${ for a literal ${.").
		WithDetail("reference", text)
}
