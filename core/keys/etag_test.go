package keys

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestETagKey(t *testing.T) {
	a, err := ParseKEK(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := ParseKEK(strings.Repeat("ab", 32))
	other, _ := ParseKEK(strings.Repeat("cd", 32))
	key := a.ETagKey()
	if len(key) != 32 {
		t.Fatalf("ETag key of %d bytes, want 32", len(key))
	}
	if !bytes.Equal(key, again.ETagKey()) {
		t.Error("the same KEK derives two ETag keys: processes would disagree on ETags")
	}
	if bytes.Equal(key, other.ETagKey()) {
		t.Error("two KEKs derive the same ETag key")
	}
	if bytes.Equal(key, a.key[:]) {
		t.Error("the ETag key is the KEK itself")
	}
	want, err := hkdf.Key(sha256.New, a.key[:], nil, "configmat etag v1", 32)
	if err != nil || !bytes.Equal(key, want) {
		t.Errorf("ETag key is not HKDF-SHA-256(KEK, info %q)", "configmat etag v1")
	}
}
