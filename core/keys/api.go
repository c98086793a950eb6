// Package keys is ConfigMat's key manager and envelope encryption: the
// key-encryption key (KEK), per-tenant data keys wrapped by it, and secret
// values sealed under a tenant's data key with AES-256-GCM.
package keys

import (
	"context"
	"errors"
	"io"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var errTODO = errors.New("keys: not implemented yet")

// KEK is the key-encryption key loaded from ENCRYPTION_KEY.
type KEK struct {
	id  string
	key [32]byte
}

// KEKConfig says where the key-encryption key comes from.
type KEKConfig struct {
	// Hex is the ENCRYPTION_KEY setting: 64 hex characters, or "".
	Hex string
	// Debug allows a missing Hex: DevelopmentKey supplies one and Warn is
	// called with a message containing "DO NOT USE IN PRODUCTION".
	Debug          bool
	DevelopmentKey func() (string, error)
	Warn           func(message string)
}

// LoadKEK returns the key-encryption key of c.
func LoadKEK(c KEKConfig) (*KEK, error) { return nil, errTODO }

// ParseKEK parses 64 hex characters.
func ParseKEK(s string) (*KEK, error) { return nil, errTODO }

// ID names the key (for rotation): derived from the key, never revealing it.
func (k *KEK) ID() string { return k.id }

// SecretAAD binds a sealed secret to its place.
type SecretAAD struct {
	TenantID    domain.TenantID
	AssetID     domain.AssetID
	Environment string
	Object      string
	Key         string
}

// Manager wraps new tenant data keys, unwraps (and caches in memory) existing
// ones, and seals and opens secret values.
type Manager struct {
	kek    *KEK
	random io.Reader
}

// NewManager returns a manager over kek drawing nonces and keys from random.
func NewManager(kek *KEK, random io.Reader) *Manager { return &Manager{kek: kek, random: random} }

// NewTenantKey creates a random 32-byte data key for a new tenant and returns
// it wrapped under the KEK, bound to the tenant.
func (m *Manager) NewTenantKey(tenant domain.TenantID) (domain.WrappedKey, error) {
	return domain.WrappedKey{}, errTODO
}

// CheckWrapped proves that the KEK unwraps w (the health check and the start-up
// check use it); the error names ENCRYPTION_KEY.
func (m *Manager) CheckWrapped(tenant domain.TenantID, w domain.WrappedKey) error { return errTODO }

// Seal encrypts plaintext for the place aad under the tenant's data key, which
// it reads through s (s.Tenants().Get) unless cached.
func (m *Manager) Seal(ctx context.Context, s ports.TenantStores, aad SecretAAD, plaintext []byte) ([]byte, error) {
	return nil, errTODO
}

// Open decrypts a sealed secret; a tampered or moved ciphertext, or a wrong
// key, is an error, never garbage.
func (m *Manager) Open(ctx context.Context, s ports.TenantStores, aad SecretAAD, sealed []byte) ([]byte, error) {
	return nil, errTODO
}
