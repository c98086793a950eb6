package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/configmat/configmat/core/domain"
)

// decodeBody runs the HTTP adapter's body decoder on body, as a JSON request.
func decodeBody(body []byte, dst any) error {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/fuzz", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentTypeJSON)
	return decodeJSON(httptest.NewRecorder(), r, dst)
}

// checkDecodeError fails unless err is the decoder's answer to a bad body:
// INVALID_JSON, or VALIDATION_ERROR naming one field whose path starts with
// a member of the request type t.
func checkDecodeError(t *testing.T, body []byte, err error, typ reflect.Type) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Message == "" {
		t.Fatalf("decoding %q = %v: not a domain error with a message", body, err)
	}
	switch de.Kind {
	case domain.KindInvalidJSON:
	case domain.KindInvalid:
		fields, _ := de.Details["fields"].(map[string]any)
		if len(fields) != 1 {
			t.Fatalf("decoding %q = %v: want one field in details, got %v", body, err, de.Details)
		}
		for path := range fields {
			first, _, _ := strings.Cut(path, ".")
			if _, ok := oracleFields(typ)[first]; !ok {
				t.Fatalf("decoding %q = %v: field %q is no member of the request", body, err, path)
			}
		}
	default:
		t.Fatalf("decoding %q = %v: kind %s, want INVALID_JSON or VALIDATION_ERROR", body, err, de.Kind)
	}
}

// fuzzEmbedded and fuzzBody give the strict decoder every shape it handles:
// a promoted field, pointers, nested structs, slices and maps of structs, an
// untagged field, an ignored one, and members decoded as any JSON value.
// A type error in the promoted field is named by its member ("region"), not
// by encoding/json's Go path ("fuzzEmbedded.region").
type fuzzEmbedded struct {
	Region string `json:"region"`
}

type fuzzInner struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

type fuzzBody struct {
	fuzzEmbedded
	ID      *int                  `json:"id"`
	Inner   fuzzInner             `json:"inner"`
	List    []fuzzInner           `json:"list"`
	ByName  map[string]*fuzzInner `json:"by_name"`
	Raw     json.RawMessage       `json:"raw"`
	Any     any                   `json:"any"`
	Plain   string
	Skipped string `json:"-"`
}

// FuzzDecodeJSON checks the strict decoder against a second, simpler reading
// of the same body (encoding/json's tokens, the type's JSON names): a body it
// accepts has no member twice in one object and only exact member names; a
// body with either is refused; a well-formed body without them is never
// answered INVALID_JSON; every refusal is one of the contract's answers.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"region":"eu","id":7,"inner":{"name":"a","tags":["x"]},"list":[{"name":"b"}],"by_name":{"k":{"name":"c"},"n":null},"raw":{"a":[1,{"b":2}]},"any":[null],"Plain":"p"}`,
		`{"Region":"eu"}`, `{"region":5}`, `{"plain":"p"}`, `{"Skipped":"s"}`, `{"-":1}`, `{"fuzzEmbedded":{}}`,
		`{"inner":{"name":"a","name":"b"}}`, `{"raw":{"a":1,"a":2}}`, `{"by_name":{"k":{},"k":{}}}`,
		`{"list":[{"NAME":"x"}]}`, `{"id":1.5}`, `{"id":"7"}`, `{"inner":[]}`, `{"list":{"a":1}}`,
		`{"raw":"\ud800"}`, `{"any":"\ud83d\ude00"}`, `{"r\u0065gion":"eu"}`, `{"region":"eu"} {}`,
		`[]`, `null`, ` {"region":"eu"} `, `{"region":"eu"`, "{\"region\":\"\xff\"}", `{"id":1e400}`,
	} {
		f.Add([]byte(seed))
	}
	typ := reflect.TypeFor[fuzzBody]()
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst fuzzBody
		err := decodeBody(body, &dst)
		problem := strictProblem(body, typ)
		if err == nil {
			if !utf8.Valid(body) || !json.Valid(body) || bytes.TrimLeft(body, " \t\r\n")[0] != '{' {
				t.Fatalf("accepted %q, which is not a UTF-8 JSON object", body)
			}
			if problem != "" {
				t.Fatalf("accepted %q, which has %s", body, problem)
			}
			return
		}
		checkDecodeError(t, body, err, typ)
		wellFormed := len(body) <= maxBodyBytes && utf8.Valid(body) && json.Valid(body) && bytes.TrimLeft(body, " \t\r\n")[0] == '{'
		var de *domain.Error
		errors.As(err, &de)
		if wellFormed && problem == "" && !bytes.Contains(body, []byte(`\u`)) && de.Kind == domain.KindInvalidJSON {
			t.Fatalf("decoding well-formed %q = %v: want it accepted or a VALIDATION_ERROR", body, err)
		}
	})
}

// strictProblem reads body with encoding/json's tokenizer, following typ, and
// names the first member repeated in one object or named otherwise than a
// field of its struct; "" when there is none or body is not JSON.
func strictProblem(body []byte, typ reflect.Type) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	problem, _ := oracleValue(dec, typ)
	return problem
}

// oracleValue reads one value expected to decode into typ (nil: any value).
func oracleValue(dec *json.Decoder, typ reflect.Type) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ != nil && (typ.Kind() == reflect.Interface || typ == reflect.TypeFor[json.RawMessage]()) {
		typ = nil
	}
	switch tok {
	case json.Delim('['):
		var elem reflect.Type
		if typ != nil && typ.Kind() == reflect.Slice {
			elem = typ.Elem()
		}
		for dec.More() {
			if problem, err := oracleValue(dec, elem); problem != "" || err != nil {
				return problem, err
			}
		}
		_, err := dec.Token()
		return "", err
	case json.Delim('{'):
		var fields map[string]reflect.Type
		if typ != nil && typ.Kind() == reflect.Struct {
			fields = oracleFields(typ)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", err
			}
			name, _ := tok.(string)
			if seen[name] {
				return "a repeated member " + name, nil
			}
			seen[name] = true
			var next reflect.Type
			if fields != nil {
				var ok bool
				if next, ok = fields[name]; !ok {
					return "a member " + name + " that is no field's exact name", nil
				}
			} else if typ != nil && typ.Kind() == reflect.Map {
				next = typ.Elem()
			}
			if problem, err := oracleValue(dec, next); problem != "" || err != nil {
				return problem, err
			}
		}
		_, err := dec.Token()
		return "", err
	}
	return "", nil
}

// oracleFields maps the JSON names of typ's fields, as encoding/json names
// them for encoding, to their types.
func oracleFields(typ reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(typ) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-", !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "":
		default:
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
	}
	return fields
}

// FuzzChangeSetBody decodes a body as PATCH .../environments/{env} does and
// checks that an accepted one re-encodes to a body that is accepted too and
// decodes to the same request (values compared as JSON values, since
// encoding rewrites their spacing and escapes).
func FuzzChangeSetBody(f *testing.F) {
	for _, seed := range []string{
		`{"message":"Raise pool size","expected_version":4,"set":{"database":{"pool_size":{"value":20},"password":{"value":"s3cr3t","secret":true}}},"unset":{"features":["old_flag"]}}`,
		`{"set":{"a":{"k":{"value":null}}}}`, `{"set":{"a":{"k":{}}}}`, `{"set":{"a":null},"unset":{"b":null}}`,
		`{"set":{},"unset":{"b":[]}}`, `{"expected_version":null}`, `{"expected_version":-1}`,
		`{"set":{"a":{"k":{"value":{ "x" : [1, 2.50, "<&>"] }}}}}`, `{"set":{"a":{"k":{"value":1,"Secret":true}}}}`,
		`{"set":{"a":{"k":{"value":1,"secret":"yes"}}}}`, `{"expected_version":1e3}`, `{"unset":{"a":[1]}}`,
		`{"message":"\u00e9\ud83d\ude00"}`, `{"set":{"a":{"k":{"value":1}},"a":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	typ := reflect.TypeFor[changeSetRequest]()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req changeSetRequest
		if err := decodeBody(body, &req); err != nil {
			checkDecodeError(t, body, err, typ)
			return
		}
		again := roundTrip(t, body, req)
		if a, b := comparableChangeSet(t, req.changeSet()), comparableChangeSet(t, again.changeSet()); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q decodes to %#v; re-encoded, to %#v", body, a, b)
		}
	})
}

// FuzzPromoteBody decodes a body as POST .../promote does and checks that an
// accepted one re-encodes to a body that decodes to the same request.
func FuzzPromoteBody(f *testing.F) {
	for _, seed := range []string{
		`{"from":"stage","to":"prod","expected_version":3,"dry_run":true}`, `{"from":"dev","to":"stage"}`,
		`{"expected_version":null}`, `{"dry_run":"true"}`, `{"From":"dev"}`, `{"to":"a","to":"b"}`,
		`{"expected_version":9223372036854775808}`, `{"from":["dev"]}`, `{"from":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	typ := reflect.TypeFor[promoteRequest]()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req promoteRequest
		if err := decodeBody(body, &req); err != nil {
			checkDecodeError(t, body, err, typ)
			return
		}
		if again := roundTrip(t, body, req); !reflect.DeepEqual(again, req) {
			t.Fatalf("%q decodes to %+v; re-encoded, to %+v", body, req, again)
		}
	})
}

// roundTrip encodes req and decodes the encoding as a request body again.
func roundTrip[T any](t *testing.T, body []byte, req T) T {
	t.Helper()
	encoded, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("encoding the request of %q: %v", body, err)
	}
	var again T
	if err := decodeBody(encoded, &again); err != nil {
		t.Fatalf("%q decodes, but its re-encoding %q is refused: %v", body, encoded, err)
	}
	return again
}

// comparableChangeSet is cs with every value decoded, so that two encodings
// of one JSON value compare equal; a missing value stays nil.
func comparableChangeSet(t *testing.T, cs domain.ChangeSet) map[string]any {
	t.Helper()
	set := map[string]map[string][2]any(nil)
	if cs.Set != nil {
		set = map[string]map[string][2]any{}
	}
	for obj, keys := range cs.Set {
		set[obj] = nil
		if keys == nil {
			continue
		}
		set[obj] = map[string][2]any{}
		for key, v := range keys {
			var value any = "<missing>"
			if v.Value != nil {
				dec := json.NewDecoder(bytes.NewReader(v.Value))
				dec.UseNumber()
				if err := dec.Decode(&value); err != nil && err != io.EOF {
					t.Fatalf("value %q of %s.%s: %v", v.Value, obj, key, err)
				}
			}
			set[obj][key] = [2]any{value, v.Secret}
		}
	}
	return map[string]any{"message": cs.Message, "expected_version": cs.ExpectedVersion, "set": set, "unset": cs.Unset}
}
