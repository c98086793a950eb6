package sqlite

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// timeLayout is how times are stored: UTC RFC 3339 with exactly six
// fractional digits, so that text order is time order and microseconds
// round-trip (finer digits are truncated).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// stamp formats t for storage.
func stamp(t time.Time) string { return t.UTC().Format(timeLayout) }

// optionalStamp formats an optional time for storage (nil is NULL).
func optionalStamp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(*t)
}

// timestamp scans a stored time.
type timestamp struct{ time.Time }

// Scan implements sql.Scanner.
func (t *timestamp) Scan(src any) error {
	text, ok := textOf(src)
	if !ok {
		return fmt.Errorf("sqlite: cannot scan %T as a time", src)
	}
	parsed, err := time.Parse(timeLayout, text)
	if err != nil {
		return fmt.Errorf("sqlite: stored time %q: %w", text, err)
	}
	t.Time = parsed
	return nil
}

// optionalTimestamp scans a stored time that may be NULL.
type optionalTimestamp struct{ Time *time.Time }

// Scan implements sql.Scanner.
func (t *optionalTimestamp) Scan(src any) error {
	if src == nil {
		t.Time = nil
		return nil
	}
	var ts timestamp
	if err := ts.Scan(src); err != nil {
		return err
	}
	t.Time = &ts.Time
	return nil
}

// textOf returns src as text when it is a string or bytes.
func textOf(src any) (string, bool) {
	switch v := src.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// nullable stores "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// snapshotText encodes a snapshot as a JSON object (nil gives {}); sealed
// bytes become base64 strings.
func snapshotText(s domain.Snapshot) (string, error) {
	if s == nil {
		s = domain.Snapshot{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", domain.Wrap(err, "could not encode a snapshot")
	}
	return string(b), nil
}

// parseSnapshot decodes a stored snapshot.
func parseSnapshot(text string) (domain.Snapshot, error) {
	s := domain.Snapshot{}
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, domain.Wrap(err, "could not decode a stored snapshot")
	}
	return s, nil
}
