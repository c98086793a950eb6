package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/configmat/configmat/core/domain"
)

const (
	// keySize is the size of the KEK and of data keys: AES-256.
	keySize = 32
	// kekIDLabel separates the key ID derivation from any other use of the key.
	kekIDLabel = "configmat-kek-id"
	hintKeygen = "generate one with `configmat keygen`"

	msgKEKMissing = "ENCRYPTION_KEY must be set to 64 hex characters (32 bytes); " + hintKeygen +
		", or set DEBUG=true to use a development key"
	msgDevelopmentWarning = "ENCRYPTION_KEY is not set and DEBUG=true: secrets are encrypted with the development key %s. " +
		"DO NOT USE IN PRODUCTION: set ENCRYPTION_KEY (" + hintKeygen + ")"
)

// kekID derives a key's public name: "kek-" and the first 8 hex characters of
// SHA-256("configmat-kek-id" || key).
func kekID(key []byte) string {
	h := sha256.New()
	h.Write([]byte(kekIDLabel))
	h.Write(key)
	return "kek-" + hex.EncodeToString(h.Sum(nil)[:4])
}

// loadDevelopmentKEK returns the development key of a debug configuration
// without ENCRYPTION_KEY and warns that it is one.
func loadDevelopmentKEK(c KEKConfig) (*KEK, error) {
	if c.DevelopmentKey == nil {
		return nil, domain.Errorf(domain.KindInternal, "ENCRYPTION_KEY is not set and no development key source is configured")
	}
	s, err := c.DevelopmentKey()
	if err != nil {
		// The source's own error (a path, a permission) is what the operator needs.
		return nil, &domain.Error{
			Kind:    domain.KindInternal,
			Message: "ENCRYPTION_KEY is not set and the development key could not be loaded or created: " + err.Error(),
			Cause:   err,
		}
	}
	k, err := ParseKEK(s)
	if err != nil {
		return nil, domain.Errorf(domain.KindInvalid, "ENCRYPTION_KEY is not set and the stored development key is malformed: it must be 64 hex characters (32 bytes)")
	}
	if c.Warn != nil {
		c.Warn(fmt.Sprintf(msgDevelopmentWarning, k.ID()))
	}
	return k, nil
}

// wrap encrypts the data key dek under k, bound to tenant.
func (k *KEK) wrap(random io.Reader, tenant domain.TenantID, dek []byte) (domain.WrappedKey, error) {
	if tenant == "" {
		return domain.WrappedKey{}, domain.Errorf(domain.KindInternal, "a data key must be bound to a tenant")
	}
	aead, err := k.aead()
	if err != nil {
		return domain.WrappedKey{}, err
	}
	ct, err := seal(aead, random, dek, dataKeyAAD(tenant))
	if err != nil {
		return domain.WrappedKey{}, domain.Wrap(err, "could not wrap a data key with ENCRYPTION_KEY")
	}
	return domain.WrappedKey{KeyID: k.id, Ciphertext: ct}, nil
}

// unwrap decrypts the tenant's wrapped data key. The caller clears the
// returned key when done with it.
func (k *KEK) unwrap(tenant domain.TenantID, w domain.WrappedKey) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	if w.KeyID != k.id {
		return nil, domain.Errorf(domain.KindInternal, "the data key was wrapped by key %q but ENCRYPTION_KEY is key %q", w.KeyID, k.id)
	}
	dek, err := open(aead, w.Ciphertext, dataKeyAAD(tenant))
	if err != nil {
		return nil, domain.Wrap(err, fmt.Sprintf("the data key could not be unwrapped with ENCRYPTION_KEY (key %s): the key is wrong or the wrapped data key is damaged", k.id))
	}
	if len(dek) != keySize {
		clear(dek)
		return nil, domain.Errorf(domain.KindInternal, "the data key unwrapped with ENCRYPTION_KEY (key %s) has the wrong length", k.id)
	}
	return dek, nil
}
