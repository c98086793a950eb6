package domain

import (
	"crypto/sha256"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzNewCredential generates a credential from fuzzed randomness and checks
// that it is well formed for its own prefix only, and that changing any one
// character of it (prefix, body or checksum) makes it fail the check.
func FuzzNewCredential(f *testing.F) {
	f.Add([]byte("seed"), true, uint8(0), byte('a'))
	f.Add([]byte{}, false, uint8(4), byte('0'))
	f.Add([]byte{0xff, 0xfe, 0xf8}, true, uint8(43), byte('Z'))
	f.Add([]byte("checksum"), false, uint8(44), byte('z'))
	f.Add([]byte("last"), true, uint8(49), byte('9'))
	f.Add([]byte("not base62"), false, uint8(20), byte('_'))
	f.Fuzz(func(t *testing.T, seed []byte, apiKey bool, at uint8, replacement byte) {
		prefix, other := UserTokenPrefix, APIKeyPrefix
		if apiKey {
			prefix, other = other, prefix
		}
		random := rand.NewChaCha8(sha256.Sum256(seed))
		cred, err := NewCredential(prefix, random)
		if err != nil {
			t.Fatalf("NewCredential: %v", err)
		}
		if len(cred) != CredentialLength || !strings.HasPrefix(cred, prefix) {
			t.Fatalf("NewCredential(%q) = %q: want %d characters starting with the prefix", prefix, cred, CredentialLength)
		}
		if !WellFormedCredential(prefix, cred) {
			t.Fatalf("a generated credential %q is not well formed", cred)
		}
		if WellFormedCredential(other, cred) {
			t.Fatalf("credential %q is well formed for the other prefix %q", cred, other)
		}
		i := int(at) % len(cred)
		if replacement == cred[i] {
			replacement = base62[(strings.IndexByte(base62, replacement)+1)%len(base62)]
		}
		changed := cred[:i] + string(replacement) + cred[i+1:]
		if WellFormedCredential(prefix, changed) {
			t.Fatalf("%q (character %d of %q changed) still passes the checksum", changed, i, cred)
		}
	})
}

// FuzzWellFormedCredential checks that any string passes the check only if it
// is prefix + 40 base62 characters + the checksum of those 40.
func FuzzWellFormedCredential(f *testing.F) {
	for _, prefix := range []string{APIKeyPrefix, UserTokenPrefix} {
		valid, err := NewCredential(prefix, rand.NewChaCha8([32]byte{}))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(valid)
	}
	f.Add("cmk_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcd000000")
	f.Add("cmt_")
	f.Add("cmk_\xff\xfe")
	f.Add(strings.Repeat("é", 25))
	f.Fuzz(func(t *testing.T, s string) {
		for _, prefix := range []string{APIKeyPrefix, UserTokenPrefix} {
			if !WellFormedCredential(prefix, s) {
				continue
			}
			body := strings.TrimPrefix(s, prefix)
			if len(s) != CredentialLength || len(body) != credentialBody+checksumLength {
				t.Fatalf("%q passes for %q with the wrong length", s, prefix)
			}
			for _, c := range []byte(body[:credentialBody]) {
				if strings.IndexByte(base62, c) < 0 {
					t.Fatalf("%q passes for %q with %q outside base62", s, prefix, c)
				}
			}
			if got := checksum(body[:credentialBody]); got != body[credentialBody:] {
				t.Fatalf("%q passes for %q with checksum %q, want %q", s, prefix, body[credentialBody:], got)
			}
		}
	})
}
