package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"

	"github.com/configmat/configmat/core/jsontext"
)

// timeLayout is how times are written: UTC RFC 3339 with exactly six
// fractional digits. PostgreSQL parses it into timestamptz; SQLite keeps the
// text, whose order is then time order. Finer digits are truncated.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// stamp formats t for a statement.
func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

// optionalStamp formats an optional time (nil is NULL).
func optionalStamp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
}

// dbTime scans a stored time: a time.Time from PostgreSQL, text from SQLite.
type dbTime struct{ time.Time }

// Scan implements sql.Scanner; the time is in UTC.
func (d *dbTime) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case time.Time:
		d.Time = v.UTC()
		return nil
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as a time", src)
	}
	t, err := time.Parse(timeLayout, text)
	d.Time = t
	if err != nil {
		return fmt.Errorf("sqlstore: stored time %q: %w", text, err)
	}
	return nil
}

// orNil returns a stored time that may be NULL.
func orNil(t sql.Null[dbTime]) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.V.Time
}

// nullable writes "" as NULL.
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CanonicalUUID returns s in canonical form when it is a UUID. Identifiers
// are checked before they reach SQL: PostgreSQL would refuse a malformed
// uuid and abort the whole transaction, SQLite would store it.
func CanonicalUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// canonicalIDs returns, as statement arguments, the canonical form of those
// of ids that are UUIDs: no other can name a row.
func canonicalIDs(ids []domain.AssetID) []any {
	out := make([]any, 0, len(ids))
	for _, a := range ids {
		if id, ok := CanonicalUUID(string(a)); ok {
			out = append(out, id)
		}
	}
	return out
}

// placeholders returns n placeholders separated by commas, the list of an
// IN (...) of n values; n is at least 1.
func placeholders(n int) string { return strings.Repeat(", ?", n)[2:] }

// requireUUID returns the canonical s, or the VALIDATION_ERROR naming field.
func requireUUID(field, s string) (string, error) {
	canonical, ok := CanonicalUUID(s)
	if !ok {
		return "", domain.NotUUID(field)
	}
	return canonical, nil
}

// storedValue is one value of a snapshot as written to versions.snapshot.
// The value's JSON text is kept verbatim as a JSON string: PostgreSQL's jsonb
// would reformat a value (spaces, member order, number spelling), and a
// version must read back exactly as it was written. The field names are the
// disk format of both databases; migrations convert older formats.
type storedValue struct {
	JSON   jsonText `json:"json,omitempty"`
	Secret bool     `json:"secret,omitempty"`
	Sealed []byte   `json:"sealed,omitempty"`
}

// jsonText is a value's JSON text, stored as a JSON string.
type jsonText []byte

// MarshalJSON writes the text as a JSON string.
func (j jsonText) MarshalJSON() ([]byte, error) { return json.Marshal(string(j)) }

// UnmarshalJSON reads the text of a JSON string, which the decoder has
// checked, in one allocation: every uncached read decodes one per key.
func (j *jsonText) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return fmt.Errorf("sqlstore: a stored value is %s, not a JSON string", b)
	}
	out := make(jsonText, 0, len(b)-2)
	for i := 1; i < len(b)-1; i++ {
		switch c := b[i]; {
		case c != '\\':
			out = append(out, c)
		case b[i+1] != 'u':
			out = append(out, unescaped[b[i+1]])
			i++
		default:
			r, _ := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
			if utf16.IsSurrogate(rune(r)) { // written by neither database
				var s string
				err := json.Unmarshal(b, &s)
				*j = jsonText(s)
				return err
			}
			out, i = utf8.AppendRune(out, rune(r)), i+5
		}
	}
	*j = out
	return nil
}

// unescaped is the byte of each one-letter escape of a JSON string.
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// EncodeSnapshot returns the stored JSON text of s; nil is the empty
// snapshot. It writes what json.Marshal writes for the snapshot as a map of
// storedValue (objects and keys sorted, strings escaped as encoding/json
// escapes them, sealed bytes in standard base64), without reflection or an
// intermediate copy: every new version encodes its whole snapshot.
func EncodeSnapshot(s domain.Snapshot) (string, error) {
	size := 2
	for object, keys := range s {
		size += len(object) + 4
		for key, v := range keys {
			size += len(key) + len(v.Value) + base64.StdEncoding.EncodedLen(len(v.Sealed)) + 48
		}
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, object := range slices.Sorted(maps.Keys(s)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsontext.AppendString(b, object), ':', '{')
		keys := s[object]
		for j, key := range slices.Sorted(maps.Keys(keys)) {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(jsontext.AppendString(b, key), ':')
			b = appendStoredValue(b, keys[key])
		}
		b = append(b, '}')
	}
	return string(append(b, '}')), nil
}

// appendStoredValue appends v as json.Marshal writes its storedValue.
func appendStoredValue(b []byte, v domain.StoredValue) []byte {
	b = append(b, '{')
	sep := false
	if len(v.Value) > 0 {
		b = jsontext.AppendString(append(b, `"json":`...), string(v.Value))
		sep = true
	}
	if v.Secret {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"secret":true`...)
		sep = true
	}
	if len(v.Sealed) > 0 {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"sealed":"`...)
		b = base64.StdEncoding.AppendEncode(b, v.Sealed)
		b = append(b, '"')
	}
	return append(b, '}')
}

// DecodeSnapshot reads a text written by EncodeSnapshot, or by PostgreSQL
// from it (jsonb's spacing and member order). The text is parsed directly
// when it has that shape, the usual case, and by json.Unmarshal otherwise
// (decodeSnapshotJSON: anything unusual, and every error), so that both
// give the same result for any input. The values' texts may share b's
// memory: b must not change afterwards (a scanned column is the caller's).
func DecodeSnapshot(b []byte) (domain.Snapshot, error) {
	d := snapshotDecoder{b: b}
	if s, ok := d.snapshot(); ok {
		return s, nil
	}
	return decodeSnapshotJSON(b)
}

// decodeSnapshotJSON decodes a snapshot's text with encoding/json.
func decodeSnapshotJSON(b []byte) (domain.Snapshot, error) {
	var doc map[string]map[string]storedValue
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, domain.Wrap(err, "could not decode the snapshot")
	}
	s := make(domain.Snapshot, len(doc))
	for object, keys := range doc {
		values := make(map[string]domain.StoredValue, len(keys))
		for key, sv := range keys {
			values[key] = domain.StoredValue{Value: json.RawMessage(sv.JSON), Secret: sv.Secret, Sealed: sv.Sealed}
		}
		s[object] = values
	}
	return s, nil
}

// snapshotDecoder parses the usual shape of a snapshot's text: objects of
// keys of {"json": string, "secret": bool, "sealed": base64 string} with
// strings that json.Unmarshal would read as they are or through a
// one-letter or non-surrogate \u escape. Anything else (null, numbers,
// other members, other escapes, invalid UTF-8, trailing data) is not
// ok, and DecodeSnapshot leaves it to encoding/json.
type snapshotDecoder struct {
	b []byte
	i int
}

// snapshot parses the whole text.
func (d *snapshotDecoder) snapshot() (domain.Snapshot, bool) {
	s := domain.Snapshot{}
	more, ok := d.open()
	for ok && more {
		var object []byte
		if object, ok = d.name(); !ok {
			break
		}
		keys := map[string]domain.StoredValue{}
		s[string(object)] = keys
		var keysMore bool
		for keysMore, ok = d.open(); ok && keysMore; keysMore, ok = d.next() {
			var key []byte
			if key, ok = d.name(); !ok {
				break
			}
			var v domain.StoredValue
			if v, ok = d.storedValue(); !ok {
				break
			}
			keys[string(key)] = v
		}
		if ok {
			more, ok = d.next()
		}
	}
	d.space()
	return s, ok && d.i == len(d.b)
}

// open reads the '{' of an object; more is false when the object is empty.
func (d *snapshotDecoder) open() (more, ok bool) {
	if !d.take('{') {
		return false, false
	}
	return !d.take('}'), true
}

// name reads a member's name and its ':'.
func (d *snapshotDecoder) name() ([]byte, bool) {
	name, ok := d.str()
	return name, ok && d.take(':')
}

// next reads what follows a member: ',' and more, or the object's '}'.
func (d *snapshotDecoder) next() (more, ok bool) {
	if d.take(',') {
		return true, true
	}
	return false, d.take('}')
}

// storedValue parses one value's object.
func (d *snapshotDecoder) storedValue() (domain.StoredValue, bool) {
	var v domain.StoredValue
	more, ok := d.open()
	for ok && more {
		var name []byte
		if name, ok = d.name(); !ok {
			break
		}
		switch string(name) {
		case "json":
			var text []byte
			text, ok = d.str()
			v.Value = json.RawMessage(text)
		case "secret":
			ok = d.boolean(&v.Secret)
		case "sealed":
			var text []byte
			if text, ok = d.str(); ok {
				var err error
				v.Sealed, err = base64.StdEncoding.AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(text))), text)
				ok = err == nil
			}
		default:
			ok = false
		}
		if ok {
			more, ok = d.next()
		}
	}
	return v, ok
}

// boolean parses true or false into v.
func (d *snapshotDecoder) boolean(v *bool) bool {
	d.space()
	for _, lit := range [...]string{"true", "false"} {
		if strings.HasPrefix(string(d.b[d.i:min(d.i+len(lit), len(d.b))]), lit) {
			d.i += len(lit)
			*v = lit == "true"
			return true
		}
	}
	return false
}

// str parses a string and returns its text: a piece of the input when the
// string has no escape and no control character, else a slice of its own.
func (d *snapshotDecoder) str() ([]byte, bool) {
	if !d.take('"') {
		return nil, false
	}
	start := d.i
	end := start
	for end < len(d.b) && d.b[end] != '"' && d.b[end] != '\\' && d.b[end] >= 0x20 {
		end++
	}
	if end < len(d.b) && d.b[end] == '"' && utf8.Valid(d.b[start:end]) {
		d.i = end + 1
		return d.b[start:end:end], true
	}
	out := make([]byte, 0, end-start+8)
	for d.i = start; d.i < len(d.b); {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return out, true
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			out, d.i = append(out, d.b[d.i:d.i+size]...), d.i+size
		case c != '\\':
			out, d.i = append(out, c), d.i+1
		case d.i+1 < len(d.b) && d.b[d.i+1] != 'u' && unescaped[d.b[d.i+1]] != 0:
			out, d.i = append(out, unescaped[d.b[d.i+1]]), d.i+2
		case d.i+6 <= len(d.b) && d.b[d.i+1] == 'u':
			r, err := strconv.ParseUint(string(d.b[d.i+2:d.i+6]), 16, 16)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return nil, false
			}
			out, d.i = utf8.AppendRune(out, rune(r)), d.i+6
		default:
			return nil, false
		}
	}
	return nil, false
}

// take skips spaces and then c, reporting whether c was there.
func (d *snapshotDecoder) take(c byte) bool {
	d.space()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// space skips JSON's insignificant whitespace.
func (d *snapshotDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}
