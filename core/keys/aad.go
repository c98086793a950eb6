package keys

import (
	"encoding/binary"

	"github.com/configmat/configmat/core/domain"
)

// Labels that start every additional data, so that a wrapped data key can
// never be opened as a secret nor the reverse.
const (
	dataKeyLabel = "configmat-dek-v1"
	secretLabel  = "configmat-secret-v1"
)

// appendField appends s as its length in 4 big-endian bytes and its bytes,
// which keeps a sequence of fields unambiguous.
func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s))) // #nosec G115 -- an ID or slug, which validation bounds far below 4 GiB
	return append(b, s...)
}

// dataKeyAAD is the additional data that binds a wrapped data key to its tenant.
func dataKeyAAD(tenant domain.TenantID) []byte {
	return appendField([]byte(dataKeyLabel), string(tenant))
}

// encode is the additional data that binds a sealed secret to its tenant,
// asset, environment, object and key.
func (a SecretAAD) encode() []byte {
	b := []byte(secretLabel)
	for _, field := range []string{string(a.TenantID), string(a.AssetID), a.Environment, a.Object, a.Key} {
		b = appendField(b, field)
	}
	return b
}
