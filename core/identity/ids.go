package identity

import (
	"io"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
)

// newID returns a random (version 4) UUID drawn from r, in canonical form.
func newID(r io.Reader) (string, error) {
	u, err := uuid.NewRandomFromReader(r)
	if err != nil {
		return "", domain.Wrap(err, "could not generate an identifier")
	}
	return u.String(), nil
}

const slugSuffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomSuffix returns n random lowercase alphanumerics drawn from r without
// modulo bias.
func randomSuffix(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	limit := byte(256 - 256%len(slugSuffixAlphabet)) // 252 = 7*36
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", domain.Wrap(err, "could not generate a tenant slug")
		}
		for _, c := range buf {
			if c < limit && len(out) < n {
				out = append(out, slugSuffixAlphabet[int(c)%len(slugSuffixAlphabet)])
			}
		}
	}
	return string(out), nil
}
