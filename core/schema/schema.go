// Package schema checks resolved configurations against their asset's JSON
// Schema (draft 2020-12), through santhosh-tekuri/jsonschema. Schemas are
// compiled from memory only: no loader fetches a URL or reads a file, so a
// schema whose $ref leaves the document is refused. The messages of
// violations are written here from the failed keyword and what the schema
// wants, never from the value that failed it, so that no message holds a
// secret's value (the library's own messages quote the value).
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/configmat/configmat/core/domain"
)

// Draft2020 is the URI of the only draft accepted in "$schema".
const Draft2020 = "https://json-schema.org/draft/2020-12/schema"

// location is the URL the schema is compiled under; nothing is ever loaded
// from it.
const location = "mem:///configmat/schema.json"

// Schema is a compiled schema, safe for concurrent use.
type Schema struct {
	compiled *jsonschema.Schema
}

// Violation is one way a configuration breaks a schema: Path is a JSON
// pointer into the configuration.
type Violation struct {
	Path    string
	Message string
}

// errRemote refuses every load: a schema may only refer to itself.
var errRemote = errors.New("a schema may refer only to itself; remote and file references are not loaded")

// refusingLoader is the compiler's URL loader: it loads nothing.
type refusingLoader struct{}

// Load refuses url.
func (refusingLoader) Load(string) (any, error) { return nil, errRemote }

// Compile parses and compiles a schema (draft 2020-12): VALIDATION_ERROR
// naming field when doc is not a valid JSON Schema, names another draft or
// refers outside itself.
func Compile(field string, doc json.RawMessage) (*Schema, error) {
	invalid := func(why string) error {
		return domain.Errorf(domain.KindInvalid, "The schema is not a valid JSON Schema (draft 2020-12).").WithDetail(field, why)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, invalid("must be JSON")
	}
	switch s := v.(type) {
	case bool:
	case map[string]any:
		if d, ok := s["$schema"]; ok && d != Draft2020 && d != Draft2020+"#" {
			return nil, invalid("must be a draft 2020-12 schema ($schema " + Draft2020 + ")")
		}
	default:
		return nil, invalid("must be an object or a boolean")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refusingLoader{})
	if err := c.AddResource(location, v); err != nil {
		return nil, invalid(err.Error())
	}
	compiled, err := c.Compile(location)
	if err != nil {
		var load *jsonschema.LoadURLError
		if errors.As(err, &load) {
			return nil, invalid(errRemote.Error())
		}
		return nil, invalid(strings.ReplaceAll(err.Error(), location, "the schema"))
	}
	return &Schema{compiled: compiled}, nil
}

// Normalize returns doc as one compact JSON text with object members sorted,
// so that both stores give back the same bytes (PostgreSQL's jsonb
// reorders members). Numbers keep their text.
func Normalize(doc json.RawMessage) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, domain.Wrap(err, "Could not read a schema.")
	}
	out, err := json.Marshal(v)
	return out, domain.Wrap(err, "Could not encode a schema.")
}

// Validate checks config ({object: {key: value}}) and returns its
// violations, sorted by path, none when it satisfies the schema.
func (s *Schema) Validate(config map[string]map[string]json.RawMessage) ([]Violation, error) {
	doc := make(map[string]any, len(config))
	for obj, keys := range config {
		m := make(map[string]any, len(keys))
		for key, raw := range keys {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				return nil, domain.Wrap(errors.New("a resolved value is not JSON"), "Could not check a value against the schema.")
			}
			m[key] = v
		}
		doc[obj] = m
	}
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, domain.Wrap(errors.New("the validator failed"), "Could not check a value against the schema.")
	}
	var out []Violation
	collect(ve, &out)
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return slices.Compact(out), nil
}

// collect appends the violations of the leaves of e's tree.
func collect(e *jsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	*out = append(*out, Violation{Path: pointer(e.InstanceLocation), Message: message(e.ErrorKind)})
}

// pointer writes an instance location as a JSON pointer (RFC 6901).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// message describes a failed keyword from what the schema wants, never from
// the value that failed it.
func message(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return "must be of type " + strings.Join(k.Want, " or ")
	case *kind.Enum:
		return "must be one of the values the schema allows"
	case *kind.Const:
		return "must be the value the schema requires"
	case *kind.Format:
		return "must be a valid " + k.Want
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.Pattern:
		return "must match the pattern " + k.Want
	case *kind.Minimum:
		return "must be at least " + number(k.Want)
	case *kind.Maximum:
		return "must be at most " + number(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be greater than " + number(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + number(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + number(k.Want)
	case *kind.Required:
		return "must have the properties " + strings.Join(k.Missing, ", ")
	case *kind.DependentRequired:
		return "must have the properties " + strings.Join(k.Missing, ", ") + " with " + k.Prop
	case *kind.AdditionalProperties:
		return "must not have the properties " + strings.Join(k.Properties, ", ")
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d properties", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d properties", k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.UniqueItems:
		return "must not hold the same item twice"
	case *kind.FalseSchema:
		return "is not allowed by the schema"
	case *kind.Not:
		return "must not match the schema of not"
	case *kind.OneOf:
		return "must match exactly one schema of oneOf"
	case *kind.AnyOf:
		return "must match a schema of anyOf"
	}
	if path := k.KeywordPath(); len(path) > 0 {
		return "fails the keyword " + strings.Join(path, "/")
	}
	return "does not satisfy the schema"
}

// number writes a schema's bound: an integer as such, else a decimal.
func number(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}
