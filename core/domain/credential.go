package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"hash/crc32"
	"io"
	"strings"
)

// Credential prefixes of the contract.
const (
	APIKeyPrefix    = "cmk_"
	UserTokenPrefix = "cmt_"
)

const (
	base62         = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	credentialBody = 40
	checksumLength = 6
	// CredentialLength is the length of an API key or a user token.
	CredentialLength = 4 + credentialBody + checksumLength
	// DisplayPrefixLength is how much of a credential is kept to recognise it.
	DisplayPrefixLength = 12
)

// NewCredential returns prefix + 40 random base62 characters + a 6-character
// base62 CRC-32 checksum of them, drawing randomness from r without modulo bias.
func NewCredential(prefix string, r io.Reader) (string, error) {
	body := make([]byte, 0, credentialBody)
	buf := make([]byte, 64)
	for len(body) < credentialBody {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", Wrap(err, "could not generate a credential")
		}
		for _, c := range buf {
			if c < 248 && len(body) < credentialBody { // 248 = 4*62: unbiased
				body = append(body, base62[c%62])
			}
		}
	}
	return prefix + string(body) + checksum(string(body)), nil
}

func checksum(body string) string {
	n := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, checksumLength)
	for i := checksumLength - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}

// WellFormedCredential reports whether s has the given prefix, the right length
// and alphabet, and a valid checksum. It needs no store: a typo or a guess is
// refused before any lookup.
func WellFormedCredential(prefix, s string) bool {
	if len(s) != CredentialLength || !strings.HasPrefix(s, prefix) {
		return false
	}
	body := s[len(prefix) : len(prefix)+credentialBody]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(base62, body[i]) < 0 {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(checksum(body)), []byte(s[len(prefix)+credentialBody:])) == 1
}

// CredentialDigest is the SHA-256 digest under which a credential is stored.
func CredentialDigest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// SameDigest compares two digests in constant time.
func SameDigest(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
