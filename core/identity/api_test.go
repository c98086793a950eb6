package identity

import (
	"crypto/rand"
	"testing"

	"github.com/configmat/configmat/ports"
)

func TestNewAppliesDefaults(t *testing.T) {
	s := New(Deps{})
	if s.deps.Clock != (ports.SystemClock{}) || s.deps.Random != rand.Reader {
		t.Fatalf("clock %T and random %T, want the system clock and crypto/rand", s.deps.Clock, s.deps.Random)
	}
	if s.deps.TokenTTL != DefaultTokenTTL || DefaultTokenTTL.Hours() != 24 {
		t.Fatalf("token TTL = %v, want 24h", s.deps.TokenTTL)
	}
	if s.passwords.params != DefaultPasswordParams || s.passwords.random != rand.Reader {
		t.Fatalf("password params = %+v, want %+v", s.passwords.params, DefaultPasswordParams)
	}
}

func TestRandomSuffix(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		s, err := randomSuffix(rand.Reader, slugSuffixLength)
		if err != nil || len(s) != slugSuffixLength {
			t.Fatalf("randomSuffix = %q, %v", s, err)
		}
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				t.Fatalf("suffix %q has %q", s, c)
			}
		}
		seen[s] = true
	}
	if len(seen) < 49 {
		t.Fatalf("only %d distinct suffixes of 50", len(seen))
	}
	if _, err := randomSuffix(failingReader{}, slugSuffixLength); err == nil {
		t.Fatal("randomSuffix without randomness succeeded")
	}
}

func TestValidUUID(t *testing.T) {
	tests := map[string]bool{
		string(userA):                                   true,
		"AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA":          false,
		"{aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa}":        false,
		"urn:uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa": false,
		"aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa":              false,
		"":                                              false,
		"' OR 1=1 --":                                   false,
	}
	for s, want := range tests {
		if got := validUUID(s); got != want {
			t.Errorf("validUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
