package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/configmat/configmat/core/domain"
)

// maxBodyBytes is the largest request body accepted (1 MiB).
const maxBodyBytes = 1 << 20

// decodeJSON reads the request body, a single JSON object of type T with no
// unknown field and nothing after it, into dst.
//
//   - a body that is not application/json (charset utf-8 allowed): 415
//   - a body over 1 MiB: 413
//   - no body, a body that is not UTF-8, malformed JSON, not an object, an
//     unknown field (also a field named in another case), a member repeated
//     in one object, or trailing data: 400 INVALID_JSON (an unknown or
//     repeated member is named in details.field)
//   - a field of the wrong type: 400 VALIDATION_ERROR naming the field
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if hasBody(r) {
		if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
			return err
		}
	}
	if r.ContentLength > maxBodyBytes {
		return errPayloadTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errPayloadTooLarge()
		}
		return domain.Errorf(domain.KindInvalidJSON, "The request body could not be read.")
	}
	if !utf8.Valid(body) {
		return domain.Errorf(domain.KindInvalidJSON, "The request body must be UTF-8.")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return domain.Errorf(domain.KindInvalidJSON, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// encoding/json matches member names in any case and stops at the
		// first value of a wrong type: a wrong-case, unknown or repeated
		// member before or around it is the answer (INVALID_JSON), not the
		// type error inside it. A type error means the decoder read the
		// whole first value, so it is JSON the strict check can walk.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if strictErr := checkStrictJSON(body, reflect.TypeOf(dst)); strictErr != nil {
				return strictErr
			}
		}
		return decodeError(body, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return domain.Errorf(domain.KindInvalidJSON, "The request body must hold a single JSON object and nothing after it.")
	}
	return checkStrictJSON(body, reflect.TypeOf(dst))
}

// hasBody reports whether the request carries a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// checkContentType accepts application/json with an optional UTF-8 charset.
func checkContentType(header string) error {
	mediaType, params, err := mime.ParseMediaType(header)
	charset, hasCharset := params["charset"]
	if err != nil || mediaType != contentTypeJSON || (hasCharset && !strings.EqualFold(charset, "utf-8")) {
		return domain.Errorf(kindUnsupportedMediaType, "The request body must be application/json.").
			WithDetail("content_type", "must be application/json")
	}
	return nil
}

// errPayloadTooLarge is the answer to a body over maxBodyBytes.
func errPayloadTooLarge() error {
	return domain.Errorf(kindPayloadTooLarge, "The request body is larger than 1 MiB.").WithDetail("max_bytes", maxBodyBytes)
}

// decodeError maps a json.Decoder error on body to the contract's codes. A
// value of the wrong type is named by its full path ("set.database.k.secret"):
// encoding/json names only the struct fields on the way, without the map
// keys between them, so the path is read from body at the error's offset.
func decodeError(body []byte, err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		field := typeErr.Field
		if path, ok := memberEndingAt(body, typeErr.Offset); ok {
			field = path
		}
		return domain.Errorf(domain.KindInvalid, "The request is invalid.").
			WithDetail("fields", map[string]any{field: "must be " + jsonTypeName(typeErr.Type)})
	}
	if field, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		return errUnknownField(strings.TrimSuffix(field, `"`))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return errNotJSON().WithDetail("offset", syntaxErr.Offset)
	}
	return errNotJSON()
}

// memberEndingAt returns the path of the member of the JSON text body whose
// value is the first to reach offset: a scalar that ends there or an object
// or array that opens there, which is where encoding/json reports a type
// error. Names are joined with dots; array elements add no name, as in
// checkStrictJSON. It reports false for the whole body or a text it cannot
// walk.
func memberEndingAt(body []byte, offset int64) (string, bool) {
	type container struct{ object, wantKey bool }
	var open []container
	var path []string
	// done ends a value: in an object, its member's name goes.
	done := func() {
		if top := len(open) - 1; top >= 0 && open[top].object {
			path = path[:len(path)-1]
			open[top].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := len(open) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open = open[:top]
			done()
			continue
		}
		if top >= 0 && open[top].wantKey {
			name, _ := tok.(string)
			path = append(path, name)
			open[top].wantKey = false
			continue
		}
		if dec.InputOffset() >= offset {
			return strings.Join(path, "."), len(path) > 0
		}
		if d, ok := tok.(json.Delim); ok {
			open = append(open, container{object: d == '{', wantKey: d == '{'})
			continue
		}
		done()
	}
}

// errNotJSON is the answer to a body that is not JSON.
func errNotJSON() *domain.Error {
	return domain.Errorf(domain.KindInvalidJSON, "The request body is not valid JSON.")
}

// errUnknownField is the answer to a member no field of the request has.
func errUnknownField(field string) *domain.Error {
	return domain.Errorf(domain.KindInvalidJSON, "The request body has an unknown field: %s.", field).WithDetail("field", field)
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	switch acceptedKind(t) {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
