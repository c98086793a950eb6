package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// etagKeyLabel is the HKDF info that sets the ETag key apart from every other
// key derived from the KEK.
const etagKeyLabel = "configmat etag v1"

// ETagKey derives from the KEK the key of the ETags of resolved
// configurations: HKDF-SHA-256 of the KEK, no salt, info "configmat etag v1",
// 32 bytes. Every process with the same KEK derives the same key, so an
// ETag is the same whichever process answers, and the ETag, a keyed digest
// of a body holding secrets, cannot confirm a guessed secret to whoever
// lacks the key. The caller must never log the key.
func (k *KEK) ETagKey() []byte {
	key, err := hkdf.Key(sha256.New, k.key[:], nil, etagKeyLabel, keySize)
	if err != nil {
		// HKDF-SHA-256 fails only for a length over 255 * 32 bytes.
		panic("keys: deriving the ETag key: " + err.Error())
	}
	return key
}

// auditSigningLabel is the HKDF info of the derived audit signing key.
const auditSigningLabel = "configmat audit signing v1"

// AuditSigningSeed derives from the KEK the Ed25519 seed of the audit
// checkpoints' signing key, used when no AUDIT_SIGNING_KEY is set:
// HKDF-SHA-256 of the KEK, no salt, info "configmat audit signing v1", 32
// bytes. The caller must never log it.
func (k *KEK) AuditSigningSeed() []byte {
	key, err := hkdf.Key(sha256.New, k.key[:], nil, auditSigningLabel, keySize)
	if err != nil {
		panic("keys: deriving the audit signing key: " + err.Error())
	}
	return key
}
