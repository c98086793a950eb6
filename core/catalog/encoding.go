package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/configmat/configmat/core/domain"
)

// resolvedEncoding holds a resolution's JSON encoding once computed.
type resolvedEncoding struct {
	once   sync.Once
	body   []byte
	digest string
	err    error
}

// Encoded returns r's JSON encoding and the lower-case hex SHA-256 of it.
// SDKs poll the resolved configuration all day: a resolution served from the
// cache is encoded and hashed once, and every reader gets the same bytes,
// which callers must not modify.
func (r Resolved) Encoded() (body []byte, digest string, err error) {
	if r.encoding == nil {
		return encodeResolved(r)
	}
	e := r.encoding
	e.once.Do(func() { e.body, e.digest, e.err = encodeResolved(r) })
	return e.body, e.digest, e.err
}

func encodeResolved(r Resolved) ([]byte, string, error) {
	if r.Config == nil {
		r.Config = map[string]map[string]json.RawMessage{}
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, "", domain.Wrap(err, "could not encode the resolved configuration")
	}
	sum := sha256.Sum256(body)
	return body, hex.EncodeToString(sum[:]), nil
}
