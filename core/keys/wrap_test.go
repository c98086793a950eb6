package keys

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

const (
	tenantA domain.TenantID = "0b9d7f2e-3c1a-4e5b-8f6d-1a2b3c4d5e6f"
	tenantB domain.TenantID = "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"
)

func TestNewTenantKeyFormat(t *testing.T) {
	m := NewManager(Deps{KEK: mustKEK(t, testKeyHex), Random: rand.Reader})
	w1, err := m.NewTenantKey(tenantA)
	if err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	w2, err := m.NewTenantKey(tenantA)
	if err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	if w1.KeyID != testKeyID {
		t.Fatalf("KeyID = %q, want %q", w1.KeyID, testKeyID)
	}
	if len(w1.Ciphertext) != headerSize+keySize+tagSize || w1.Ciphertext[0] != formatVersion {
		t.Fatalf("wrapped key is %d bytes starting with %d, want %d bytes starting with %d",
			len(w1.Ciphertext), w1.Ciphertext[0], headerSize+keySize+tagSize, formatVersion)
	}
	if bytes.Equal(w1.Ciphertext[1:headerSize], w2.Ciphertext[1:headerSize]) || bytes.Equal(w1.Ciphertext, w2.Ciphertext) {
		t.Fatal("two data keys share a nonce or a ciphertext")
	}
}

func TestNewTenantKeyFailures(t *testing.T) {
	tests := []struct {
		name   string
		kek    *KEK
		random io.Reader
		tenant domain.TenantID
		want   string
	}{
		{name: "random source fails", kek: mustKEK(t, testKeyHex), random: errReader{}, tenant: tenantA, want: "random source failed"},
		{name: "no tenant", kek: mustKEK(t, testKeyHex), tenant: "", want: "bound to a tenant"},
		{name: "no KEK", kek: nil, tenant: tenantA, want: "no key-encryption key is loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewManager(Deps{KEK: tt.kek, Random: tt.random})
			_, err := m.NewTenantKey(tt.tenant)
			if !domain.IsKind(err, domain.KindInternal) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want an internal error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewTenantKeyNonceFailure(t *testing.T) {
	// 32 bytes are enough for the data key but none are left for the nonce.
	m := NewManager(Deps{KEK: mustKEK(t, testKeyHex), Random: bytes.NewReader(make([]byte, keySize))})
	_, err := m.NewTenantKey(tenantA)
	if !domain.IsKind(err, domain.KindInternal) || !strings.Contains(err.Error(), "could not wrap a data key with the key-encryption key") {
		t.Fatalf("error %v, want a wrap failure", err)
	}
}

func TestCheckWrapped(t *testing.T) {
	kek := mustKEK(t, testKeyHex)
	m := NewManager(Deps{KEK: kek, Random: rand.Reader})
	good, err := m.NewTenantKey(tenantA)
	if err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	otherKEK := mustKEK(t, otherKeyHex)
	byOther, err := NewManager(Deps{KEK: otherKEK, Random: rand.Reader}).NewTenantKey(tenantA)
	if err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	aead, err := kek.aead()
	if err != nil {
		t.Fatalf("aead: %v", err)
	}
	short, err := seal(aead, rand.Reader, make([]byte, 16), dataKeyAAD(tenantA))
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	flip := func(i int) domain.WrappedKey {
		c := bytes.Clone(good.Ciphertext)
		c[i] ^= 0x01
		return domain.WrappedKey{KeyID: good.KeyID, Ciphertext: c}
	}
	const unwrapFailed = "could not be unwrapped with the key-encryption key"
	tests := []struct {
		name    string
		manager *Manager
		tenant  domain.TenantID
		wrapped domain.WrappedKey
		want    string // "" for success
	}{
		{name: "right key and tenant", manager: m, tenant: tenantA, wrapped: good},
		{name: "another tenant", manager: m, tenant: tenantB, wrapped: good, want: unwrapFailed},
		{name: "wrapped by another KEK", manager: m, tenant: tenantA, wrapped: byOther,
			want: `the data key was wrapped by key "` + otherKeyID + `" but the key-encryption key is key "` + testKeyID + `"`},
		{name: "another KEK claiming this KEK's ID", manager: m, tenant: tenantA,
			wrapped: domain.WrappedKey{KeyID: testKeyID, Ciphertext: byOther.Ciphertext}, want: unwrapFailed},
		{name: "missing key ID", manager: m, tenant: tenantA, wrapped: domain.WrappedKey{Ciphertext: good.Ciphertext}, want: "the key-encryption key is key"},
		{name: "flipped version", manager: m, tenant: tenantA, wrapped: flip(0), want: unwrapFailed},
		{name: "flipped nonce", manager: m, tenant: tenantA, wrapped: flip(5), want: unwrapFailed},
		{name: "flipped body", manager: m, tenant: tenantA, wrapped: flip(headerSize + 3), want: unwrapFailed},
		{name: "flipped tag", manager: m, tenant: tenantA, wrapped: flip(len(good.Ciphertext) - 1), want: unwrapFailed},
		{name: "truncated", manager: m, tenant: tenantA, wrapped: domain.WrappedKey{KeyID: testKeyID, Ciphertext: good.Ciphertext[:20]}, want: unwrapFailed},
		{name: "empty", manager: m, tenant: tenantA, wrapped: domain.WrappedKey{KeyID: testKeyID}, want: unwrapFailed},
		{name: "wrong length", manager: m, tenant: tenantA, wrapped: domain.WrappedKey{KeyID: testKeyID, Ciphertext: short}, want: "has the wrong length"},
		{name: "no KEK", manager: NewManager(Deps{}), tenant: tenantA, wrapped: good, want: "no key-encryption key is loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.manager.CheckWrapped(tt.tenant, tt.wrapped)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckWrapped: %v", err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInternal || !strings.Contains(de.Message, tt.want) {
				t.Fatalf("error %v, want an internal error whose message contains %q", err, tt.want)
			}
			assertNoKeyMaterial(t, err, testKeyHex, otherKeyHex)
		})
	}
}
