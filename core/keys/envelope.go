package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"

	"github.com/configmat/configmat/core/domain"
)

const (
	// formatVersion is the first byte of every wrapped key and sealed secret.
	formatVersion byte = 1
	// nonceSize is the GCM standard nonce size.
	nonceSize = 12
	// tagSize is the GCM authentication tag size.
	tagSize = 16
	// headerSize is the version byte and the nonce.
	headerSize = 1 + nonceSize

	msgOpenFailed = "could not decrypt a secret value: it was altered, copied from another place, or sealed under another data key"
)

var (
	errTruncated = errors.New("ciphertext is shorter than a version byte, a nonce and a tag")
	errVersion   = errors.New("ciphertext has an unknown format version")
)

// newAEAD returns AES-256-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, domain.Wrap(err, "could not initialise AES-256-GCM")
	}
	return cipher.NewGCM(block)
}

// aead returns AES-256-GCM under the key-encryption key.
func (k *KEK) aead() (cipher.AEAD, error) {
	if k == nil {
		return nil, domain.Errorf(domain.KindInternal, "no key-encryption key is loaded")
	}
	return newAEAD(k.key[:])
}

// seal encrypts plaintext with a fresh nonce from random and returns
// formatVersion || nonce || ciphertext and tag.
func seal(aead cipher.AEAD, random io.Reader, plaintext, additionalData []byte) ([]byte, error) {
	out := make([]byte, headerSize, headerSize+len(plaintext)+aead.Overhead())
	out[0] = formatVersion
	nonce := out[1:headerSize]
	if _, err := io.ReadFull(random, nonce); err != nil {
		return nil, err
	}
	return aead.Seal(out, nonce, plaintext, additionalData), nil
}

// checkFormat rejects input that cannot be the output of seal.
func checkFormat(sealed []byte) error {
	if len(sealed) < headerSize+tagSize {
		return errTruncated
	}
	if sealed[0] != formatVersion {
		return errVersion
	}
	return nil
}

// open authenticates and decrypts the output of seal.
func open(aead cipher.AEAD, sealed, additionalData []byte) ([]byte, error) {
	if err := checkFormat(sealed); err != nil {
		return nil, err
	}
	return aead.Open(nil, sealed[1:headerSize], sealed[headerSize:], additionalData)
}
