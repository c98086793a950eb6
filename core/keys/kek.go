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
)

// KEKProblem says why no key-encryption key could be loaded.
type KEKProblem int

// The problems of KEKError.
const (
	// KEKMissing: no key was given, and no development key is allowed.
	KEKMissing KEKProblem = iota + 1
	// KEKWrongLength: the key text is not 64 characters long; KEKError.Length
	// says how long it is.
	KEKWrongLength
	// KEKNotHex: the key text has a character that is not a hex digit.
	KEKNotHex
	// DevelopmentKeyUnavailable: no key was given and the development key
	// could not be had: no source is configured, or it failed (KEKError.Cause).
	DevelopmentKeyUnavailable
	// DevelopmentKeyMalformed: the development key source gave a text that
	// is no key.
	DevelopmentKeyMalformed
)

// KEKError is why LoadKEK or ParseKEK returned no key. Its message names no
// setting and no command: the program that reads the key knows where it came
// from and phrases what the operator should do. It unwraps to a
// *domain.Error (VALIDATION_ERROR for a missing or malformed key,
// INTERNAL_ERROR for a development key source that failed). It never holds
// key material.
type KEKError struct {
	// Problem says what is wrong.
	Problem KEKProblem
	// Length is the length of the key text, for KEKWrongLength and KEKNotHex.
	Length int
	// Cause is the development key source's error, for
	// DevelopmentKeyUnavailable; nil when no source is configured.
	Cause error
	err   *domain.Error
}

// kekError builds the KEKError of problem p.
func kekError(p KEKProblem, length int, cause error) *KEKError {
	const want = "64 hex characters (32 bytes)"
	e := &KEKError{Problem: p, Length: length, Cause: cause}
	switch p {
	case KEKMissing:
		e.err = domain.Errorf(domain.KindInvalid, "no key-encryption key is set: it must be %s", want)
	case KEKWrongLength:
		e.err = domain.Errorf(domain.KindInvalid, "the key-encryption key must be %s but has %d", want, length)
	case KEKNotHex:
		e.err = domain.Errorf(domain.KindInvalid, "the key-encryption key must be %s but contains a character that is not hex", want)
	case DevelopmentKeyUnavailable:
		e.err = domain.Errorf(domain.KindInternal, "no key-encryption key is set and no development key source is configured")
		if cause != nil {
			// The source's own error (a path, a permission) is what the operator needs.
			e.err = &domain.Error{
				Kind:    domain.KindInternal,
				Message: "no key-encryption key is set and the development key could not be loaded or created: " + cause.Error(),
				Cause:   cause,
			}
		}
	default:
		e.err = domain.Errorf(domain.KindInvalid, "no key-encryption key is set and the development key is malformed: it must be %s", want)
	}
	return e
}

// Error returns the domain error's text.
func (e *KEKError) Error() string { return e.err.Error() }

// Unwrap returns the domain error, with its kind and caller-facing message.
func (e *KEKError) Unwrap() error { return e.err }

// kekID derives a key's public name: "kek-" and the first 8 hex characters of
// SHA-256("configmat-kek-id" || key).
func kekID(key []byte) string {
	h := sha256.New()
	h.Write([]byte(kekIDLabel))
	h.Write(key)
	return "kek-" + hex.EncodeToString(h.Sum(nil)[:4])
}

// loadDevelopmentKEK returns the development key of a configuration that
// gives no key but allows one.
func loadDevelopmentKEK(c KEKConfig) (*KEK, error) {
	if c.DevelopmentKey == nil {
		return nil, kekError(DevelopmentKeyUnavailable, 0, nil)
	}
	s, err := c.DevelopmentKey()
	if err != nil {
		return nil, kekError(DevelopmentKeyUnavailable, 0, err)
	}
	k, err := ParseKEK(s)
	if err != nil {
		return nil, kekError(DevelopmentKeyMalformed, 0, nil)
	}
	k.development = true
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
		return domain.WrappedKey{}, domain.Wrap(err, "could not wrap a data key with the key-encryption key")
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
		return nil, domain.Errorf(domain.KindInternal, "the data key was wrapped by key %q but the key-encryption key is key %q", w.KeyID, k.id)
	}
	dek, err := open(aead, w.Ciphertext, dataKeyAAD(tenant))
	if err != nil {
		return nil, domain.Wrap(err, fmt.Sprintf("the data key could not be unwrapped with the key-encryption key (key %s): the key is wrong or the wrapped data key is damaged", k.id))
	}
	if len(dek) != keySize {
		clear(dek)
		return nil, domain.Errorf(domain.KindInternal, "the data key unwrapped with the key-encryption key (key %s) has the wrong length", k.id)
	}
	return dek, nil
}
