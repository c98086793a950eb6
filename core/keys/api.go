// Package keys is ConfigMat's key manager and envelope encryption: the
// key-encryption key (KEK), per-tenant data keys wrapped by it, and secret
// values sealed under a tenant's data key with AES-256-GCM.
//
// Formats (all integers big endian):
//
//   - wrapped data key: 0x01 || 12-byte nonce || AES-256-GCM(KEK, 32-byte
//     data key) with additional data "configmat-dek-v1" || len(tenant ID) as
//     4 bytes || tenant ID;
//   - sealed secret: 0x01 || 12-byte nonce || AES-256-GCM(data key,
//     plaintext) with additional data "configmat-secret-v1" followed by the
//     tenant ID, asset ID, environment, object and key, each written as its
//     length in 4 bytes and then its bytes.
//
// Every nonce is drawn fresh from the manager's random source. No error of
// this package ever contains key material or plaintext.
package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// KEK is the key-encryption key, which wraps every tenant's data key.
type KEK struct {
	id          string
	key         [32]byte
	development bool
}

// KEKConfig says where the key-encryption key comes from.
type KEKConfig struct {
	// Hex is the key as configured: 64 hex characters, or "" (or blanks)
	// for none.
	Hex string
	// AllowDevelopmentKey allows a missing Hex: DevelopmentKey then
	// supplies the key, and the KEK says it is a development key.
	AllowDevelopmentKey bool
	// DevelopmentKey returns the development key's text, creating the key
	// on first use.
	DevelopmentKey func() (string, error)
}

// LoadKEK returns the key-encryption key of c: c.Hex when set; otherwise,
// only when c.AllowDevelopmentKey is true, the development key. Its errors
// are *KEKError values, which name no setting: the caller, which knows where
// c came from, tells the operator what to set.
func LoadKEK(c KEKConfig) (*KEK, error) {
	if strings.TrimSpace(c.Hex) != "" {
		return ParseKEK(c.Hex)
	}
	if !c.AllowDevelopmentKey {
		return nil, kekError(KEKMissing, 0, nil)
	}
	return loadDevelopmentKEK(c)
}

// ParseKEK parses 64 hex characters (surrounding whitespace ignored) into a
// key-encryption key. The error, a *KEKError, never repeats the input.
func ParseKEK(s string) (*KEK, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*keySize {
		return nil, kekError(KEKWrongLength, len(s), nil)
	}
	k := &KEK{}
	if _, err := hex.Decode(k.key[:], []byte(s)); err != nil {
		// err names the offending character: a piece of the key, so it is dropped.
		return nil, kekError(KEKNotHex, len(s), nil)
	}
	k.id = kekID(k.key[:])
	return k, nil
}

// GenerateKeyHex returns a new random key-encryption key as 64 lower-case hex
// characters, the text ParseKEK reads. A nil r means crypto/rand.
func GenerateKeyHex(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var key [keySize]byte
	defer clear(key[:])
	if _, err := io.ReadFull(r, key[:]); err != nil {
		return "", domain.Wrap(err, "could not generate a key-encryption key: the random source failed")
	}
	return hex.EncodeToString(key[:]), nil
}

// ID names the key (for rotation): derived from the key, never revealing it.
func (k *KEK) ID() string { return k.id }

// Development reports whether k is the development key that LoadKEK loaded
// for lack of a configured one: fit for development only, never production.
func (k *KEK) Development() bool { return k.development }

// String returns the key's ID, so that printing a KEK never prints the key.
func (k *KEK) String() string { return k.id }

// GoString returns the key's ID, so that %#v never prints the key either.
func (k *KEK) GoString() string { return "keys.KEK(" + k.id + ")" }

// SecretAAD binds a sealed secret to its place.
type SecretAAD struct {
	TenantID    domain.TenantID
	AssetID     domain.AssetID
	Environment string
	Object      string
	Key         string
}

// Deps are what a Manager needs.
type Deps struct {
	// KEK is the key-encryption key; without one, every wrap and unwrap fails
	// with an internal error (no key-encryption key is loaded).
	KEK *KEK
	// Previous are earlier key-encryption keys, used only to unwrap data
	// keys that Rotate has not rewrapped under KEK yet.
	Previous []*KEK
	// Random is the source of nonces and data keys (crypto/rand when nil).
	Random io.Reader
}

// Manager wraps new tenant data keys, unwraps (and caches in memory) existing
// ones, and seals and opens secret values. It is safe for concurrent use; build
// it with NewManager.
type Manager struct {
	kek *KEK
	// ring holds KEK and the previous keys by ID.
	ring   map[string]*KEK
	random io.Reader
	cache  *dataKeyCache
}

// NewManager returns a manager over deps.KEK drawing nonces and keys from
// deps.Random. It caches up to 10,000 tenants' data keys.
func NewManager(deps Deps) *Manager {
	if deps.Random == nil {
		deps.Random = rand.Reader
	}
	ring := map[string]*KEK{}
	for _, k := range deps.Previous {
		if k != nil {
			ring[k.id] = k
		}
	}
	if deps.KEK != nil {
		ring[deps.KEK.id] = deps.KEK
	}
	return &Manager{kek: deps.KEK, ring: ring, random: deps.Random, cache: newDataKeyCache(maxCachedDataKeys)}
}

// NewTenantKey creates a random 32-byte data key for a new tenant and returns
// it wrapped under the KEK, bound to the tenant.
func (m *Manager) NewTenantKey(tenant domain.TenantID) (domain.WrappedKey, error) {
	var dek [keySize]byte
	defer clear(dek[:])
	if _, err := io.ReadFull(m.random, dek[:]); err != nil {
		return domain.WrappedKey{}, domain.Wrap(err, "could not generate a data key: the random source failed")
	}
	return m.kek.wrap(m.random, tenant, dek[:])
}

// CheckWrapped proves that the KEK unwraps w (the health check and the start-up
// check use it); the error names the key that wrapped w and the KEK's.
func (m *Manager) CheckWrapped(tenant domain.TenantID, w domain.WrappedKey) error {
	dek, err := m.unwrap(tenant, w)
	clear(dek)
	return err
}

// UnknownKEKError is the error of a data key wrapped by a key that is
// neither the KEK nor a previous one: checked by ID, so a damaged data key
// of a known key is never mistaken for a missing key.
type UnknownKEKError struct {
	// KeyID is the ID the data key records.
	KeyID string
}

func (e *UnknownKEKError) Error() string {
	return "a data key is wrapped by key " + e.KeyID + ", which is neither the key-encryption key nor a previous one"
}

// Knows reports whether the KEK or a previous key has the ID.
func (m *Manager) Knows(keyID string) bool { _, ok := m.ring[keyID]; return ok }

// CurrentKeyID is the ID of the KEK, under which every new or rewrapped
// data key is wrapped.
func (m *Manager) CurrentKeyID() string {
	if m.kek == nil {
		return ""
	}
	return m.kek.id
}

// unwrap unwraps w with the key of its recorded ID.
func (m *Manager) unwrap(tenant domain.TenantID, w domain.WrappedKey) ([]byte, error) {
	k, ok := m.ring[w.KeyID]
	if !ok {
		if m.kek == nil {
			return m.kek.unwrap(tenant, w)
		}
		return nil, &domain.Error{Kind: domain.KindInternal,
			Message: fmt.Sprintf("the data key was wrapped by key %q but the key-encryption key is key %q, and no previous key has that ID", w.KeyID, m.kek.id),
			Cause:   &UnknownKEKError{KeyID: w.KeyID}}
	}
	return k.unwrap(tenant, w)
}

// Seal encrypts plaintext for the place aad under the tenant's data key, which
// it reads from tenants (the tenant row with its wrapped data key) unless
// cached.
func (m *Manager) Seal(ctx context.Context, tenants ports.TenantStore, aad SecretAAD, plaintext []byte) ([]byte, error) {
	aead, err := m.dataKey(ctx, tenants, aad.TenantID)
	if err != nil {
		return nil, err
	}
	sealed, err := seal(aead, m.random, plaintext, aad.encode())
	if err != nil {
		return nil, domain.Wrap(err, "could not encrypt a secret value")
	}
	return sealed, nil
}

// Open decrypts a sealed secret under the tenant's data key, read from
// tenants unless cached; a tampered or moved ciphertext, or a wrong key, is an
// error, never garbage.
func (m *Manager) Open(ctx context.Context, tenants ports.TenantStore, aad SecretAAD, sealed []byte) ([]byte, error) {
	if err := checkFormat(sealed); err != nil {
		return nil, domain.Wrap(err, msgOpenFailed)
	}
	aead, err := m.dataKey(ctx, tenants, aad.TenantID)
	if err != nil {
		return nil, err
	}
	plaintext, err := open(aead, sealed, aad.encode())
	if err != nil {
		return nil, domain.Wrap(err, msgOpenFailed)
	}
	return plaintext, nil
}

// Forget drops the tenant's data key from the in-memory cache, for example
// after the tenant was deleted or its key rewrapped.
func (m *Manager) Forget(tenant domain.TenantID) { m.cache.forget(tenant) }
