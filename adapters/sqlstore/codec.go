package sqlstore

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
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

// canonicalUUID returns s in canonical form when it is a UUID. Identifiers
// are checked before they reach SQL: PostgreSQL would refuse a malformed
// uuid and abort the whole transaction, SQLite would store it.
func canonicalUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// requireUUID returns the canonical s, or the VALIDATION_ERROR naming field.
func requireUUID(field, s string) (string, error) {
	canonical, ok := canonicalUUID(s)
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
		b = append(appendJSONString(b, object), ':', '{')
		keys := s[object]
		for j, key := range slices.Sorted(maps.Keys(keys)) {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, key), ':')
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
		b = appendJSONString(append(b, `"json":`...), string(v.Value))
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

// appendJSONString appends s as a JSON string the way encoding/json writes
// one: '"' and '\\' escaped, \b \f \n \r \t, other control characters
// and '<', '>', '&', U+2028 and U+2029 as \u00xx or \u20xx, and invalid
// UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// DecodeSnapshot reads a text written by EncodeSnapshot.
func DecodeSnapshot(b []byte) (domain.Snapshot, error) {
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
