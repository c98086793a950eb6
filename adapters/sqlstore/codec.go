package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
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

// EncodeSnapshot returns the stored JSON text of s; nil is the empty snapshot.
func EncodeSnapshot(s domain.Snapshot) (string, error) {
	doc := make(map[string]map[string]storedValue, len(s))
	for object, keys := range s {
		values := make(map[string]storedValue, len(keys))
		for key, v := range keys {
			values[key] = storedValue{JSON: jsonText(v.Value), Secret: v.Secret, Sealed: v.Sealed}
		}
		doc[object] = values
	}
	b, err := json.Marshal(doc)
	return string(b), domain.Wrap(err, "could not encode the snapshot")
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
