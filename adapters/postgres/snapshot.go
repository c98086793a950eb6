package postgres

import (
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
)

// storedValue is one value of a snapshot as kept in versions.snapshot. The
// value's JSON text is kept verbatim, as a JSON string: jsonb would reformat
// a value (spaces, member order, number spelling), and a version must read
// back exactly as it was written.
type storedValue struct {
	JSON   *string `json:"json,omitempty"`
	Secret bool    `json:"secret,omitempty"`
	Sealed []byte  `json:"sealed,omitempty"`
}

// encodeSnapshot returns the jsonb document of s; nil is the empty snapshot.
func encodeSnapshot(s domain.Snapshot) ([]byte, error) {
	doc := make(map[string]map[string]storedValue, len(s))
	for object, keys := range s {
		values := make(map[string]storedValue, len(keys))
		for key, v := range keys {
			sv := storedValue{Secret: v.Secret, Sealed: v.Sealed}
			if v.Value != nil {
				text := string(v.Value)
				sv.JSON = &text
			}
			values[key] = sv
		}
		doc[object] = values
	}
	b, err := json.Marshal(doc)
	return b, domain.Wrap(err, "could not encode the snapshot")
}

// decodeSnapshot reads a document written by encodeSnapshot.
func decodeSnapshot(b []byte) (domain.Snapshot, error) {
	var doc map[string]map[string]storedValue
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, domain.Wrap(err, "could not decode the snapshot")
	}
	s := make(domain.Snapshot, len(doc))
	for object, keys := range doc {
		values := make(map[string]domain.StoredValue, len(keys))
		for key, sv := range keys {
			v := domain.StoredValue{Secret: sv.Secret, Sealed: sv.Sealed}
			if sv.JSON != nil {
				v.Value = json.RawMessage(*sv.JSON)
			}
			values[key] = v
		}
		s[object] = values
	}
	return s, nil
}
