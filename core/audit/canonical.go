package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"unicode/utf8"

	"github.com/configmat/configmat/core/canonjson"
	"github.com/configmat/configmat/core/domain"
)

// CreatedAtLayout is how created_at is written in an entry's canonical form.
const CreatedAtLayout = "2006-01-02T15:04:05.000000Z"

// canonicalEntry is the object whose canonical JSON is hashed.
type canonicalEntry struct {
	Action    string          `json:"action"`
	Actor     string          `json:"actor"`
	CreatedAt string          `json:"created_at"`
	Details   json.RawMessage `json:"details"`
	Seq       int64           `json:"seq"`
	Target    string          `json:"target"`
	TenantID  string          `json:"tenant_id"`
}

// Canonical returns the RFC 8785 canonical JSON of e's hashed fields: action,
// actor, created_at (UTC, microseconds), details, seq, target and tenant_id.
// It fails when e.Details is not a JSON object (empty and null count as {})
// or a text field is not valid UTF-8.
func Canonical(e domain.AuditEntry) ([]byte, error) {
	details, err := canonicalDetails(e.Details)
	if err != nil {
		return nil, err
	}
	return canonicalWith(e, details)
}

// detailsMember is the details member, empty, in the canonical form of an
// entry: members are sorted by name, so it is always followed by seq. It
// occurs once: inside a canonical string every quotation mark is escaped.
const detailsMember = `,"details":{},"seq":`

// canonicalWith is Canonical(e) for details, the canonical form of
// e.Details. The members other than details are canonicalized as an object
// whose details are {}, and details is put in their place: a member's
// canonical value does not depend on the rest of the object, so the result
// is the canonical form of the whole entry, without walking details again.
func canonicalWith(e domain.AuditEntry, details json.RawMessage) ([]byte, error) {
	for _, f := range [...]struct{ name, text string }{
		{"action", e.Action}, {"actor", e.Actor}, {"target", e.Target}, {"tenant_id", string(e.TenantID)},
	} {
		if !utf8.ValidString(f.text) {
			return nil, domain.Errorf(domain.KindInternal, "audit entry %d: %s is not valid UTF-8", e.Seq, f.name)
		}
	}
	skeleton, err := canonjson.Marshal(canonicalEntry{
		Action:    e.Action,
		Actor:     e.Actor,
		CreatedAt: e.CreatedAt.UTC().Format(CreatedAtLayout),
		Details:   emptyObject,
		Seq:       e.Seq,
		Target:    e.Target,
		TenantID:  string(e.TenantID),
	})
	if err != nil {
		return nil, domain.Wrap(err, "could not canonicalize an audit entry")
	}
	at := bytes.Index(skeleton, []byte(detailsMember))
	if at < 0 {
		return nil, domain.Errorf(domain.KindInternal, "audit entry %d: no details member in its canonical form", e.Seq)
	}
	at += len(`,"details":`)
	out := make([]byte, 0, len(skeleton)-len(emptyObject)+len(details))
	out = append(out, skeleton[:at]...)
	out = append(out, details...)
	return append(out, skeleton[at+len(emptyObject):]...), nil
}

// Hash returns the lower-case hex SHA-256 of previousHash (its ASCII text)
// followed by Canonical(e).
func Hash(previousHash string, e domain.AuditEntry) (string, error) {
	canonical, err := Canonical(e)
	if err != nil {
		return "", err
	}
	return hashOf(previousHash, canonical), nil
}

// hashOf is the chain's hash of an entry whose canonical form is canonical.
func hashOf(previousHash string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(previousHash))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// emptyObject is the details of an entry without details.
var emptyObject = json.RawMessage("{}")

// canonicalDetails canonicalizes a details JSON text, which must be an object;
// empty and null give {}.
func canonicalDetails(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return emptyObject, nil
	}
	b, err := canonjson.Canonicalize(raw)
	if err != nil {
		return nil, domain.Wrap(err, "audit details are not valid JSON")
	}
	return objectOrEmpty(b)
}

// marshalDetails returns the canonical JSON of details, which must encode to
// a JSON object; nil gives {}.
func marshalDetails(details any) (json.RawMessage, error) {
	if details == nil {
		return emptyObject, nil
	}
	b, err := canonjson.Marshal(details)
	if err != nil {
		return nil, domain.Wrap(err, "audit details cannot be encoded as JSON")
	}
	return objectOrEmpty(b)
}

// objectOrEmpty accepts a canonical JSON object and maps null to {}.
func objectOrEmpty(canonical []byte) (json.RawMessage, error) {
	switch {
	case string(canonical) == "null":
		return emptyObject, nil
	case canonical[0] != '{':
		return nil, domain.Errorf(domain.KindInternal, "audit details must be a JSON object")
	}
	return canonical, nil
}
