package identity

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/configmat/configmat/core/domain"
)

// PasswordParams are the argon2id parameters of new password hashes.
type PasswordParams struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLength and KeyLength are in bytes.
	SaltLength uint32
	KeyLength  uint32
}

// DefaultPasswordParams follow OWASP's argon2id recommendation: 19 MiB of
// memory, two passes, one thread, a 16-byte salt and a 32-byte hash.
var DefaultPasswordParams = PasswordParams{Memory: 19456, Time: 2, Threads: 1, SaltLength: 16, KeyLength: 32}

// Bounds accepted when parsing a stored hash, so that a corrupt or hostile
// row cannot make verification allocate without limit.
const (
	maxHashMemory  = 4 << 20 // KiB: 4 GiB
	maxHashTime    = 64
	minSaltLength  = 8
	minKeyLength   = 16
	maxParamLength = 1024
)

// withDefaults fills each zero field of p from DefaultPasswordParams.
func (p PasswordParams) withDefaults() PasswordParams {
	d := DefaultPasswordParams
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLength == 0 {
		p.SaltLength = d.SaltLength
	}
	if p.KeyLength == 0 {
		p.KeyLength = d.KeyLength
	}
	return p
}

// deriveFunc computes an argon2id key; it is a field so tests can count runs.
type deriveFunc func(password, salt []byte, p PasswordParams) []byte

func argon2id(password, salt []byte, p PasswordParams) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLength)
}

// passwordHasher hashes passwords into PHC strings and verifies them.
type passwordHasher struct {
	params PasswordParams
	random io.Reader
	derive deriveFunc

	dummyOnce sync.Once
	dummy     string
}

func newPasswordHasher(p PasswordParams, random io.Reader) *passwordHasher {
	return &passwordHasher{params: p, random: random, derive: argon2id}
}

// hash returns the PHC string of password under a new random salt:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>.
func (h *passwordHasher) hash(password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := io.ReadFull(h.random, salt); err != nil {
		return "", domain.Wrap(err, "could not hash the password")
	}
	return encodePHC(h.params, salt, h.derive([]byte(password), salt, h.params)), nil
}

// verify reports whether password matches the PHC string encoded. A stored
// hash that cannot be parsed is an internal error.
func (h *passwordHasher) verify(encoded, password string) (bool, error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, domain.Wrap(err, "could not verify the password")
	}
	got := h.derive([]byte(password), salt, p)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// burn verifies password against a fixed hash made with the current
// parameters, so that a login for an unknown email costs what a wrong
// password costs. The result is meaningless and discarded.
func (h *passwordHasher) burn(password string) {
	h.dummyOnce.Do(func() {
		salt := make([]byte, h.params.SaltLength)
		h.dummy = encodePHC(h.params, salt, h.derive(nil, salt, h.params))
	})
	_, _ = h.verify(h.dummy, password)
}

func encodePHC(p PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses an argon2id PHC string into its parameters, salt and key.
func parsePHC(encoded string) (PasswordParams, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return PasswordParams{}, nil, nil, errors.New("password hash is not a PHC string")
	}
	if parts[1] != "argon2id" {
		return PasswordParams{}, nil, nil, fmt.Errorf("password hash algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return PasswordParams{}, nil, nil, fmt.Errorf("password hash version %q is not supported", parts[2])
	}
	p, err := parsePHCParams(parts[3])
	if err != nil {
		return PasswordParams{}, nil, nil, err
	}
	// The lengths come from a stored row: bounded before they become uint32.
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	saltLength := len(salt)
	if err != nil || saltLength < minSaltLength || saltLength > maxParamLength {
		return PasswordParams{}, nil, nil, errors.New("password hash salt is malformed")
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	keyLength := len(key)
	if err != nil || keyLength < minKeyLength || keyLength > maxParamLength {
		return PasswordParams{}, nil, nil, errors.New("password hash key is malformed")
	}
	p.SaltLength, p.KeyLength = uint32(saltLength), uint32(keyLength)
	return p, salt, key, nil
}

// parsePHCParams parses "m=<KiB>,t=<passes>,p=<threads>" within safe bounds.
func parsePHCParams(s string) (PasswordParams, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return PasswordParams{}, fmt.Errorf("password hash parameters %q are malformed", s)
	}
	var values [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(fields[i], name)
		n, err := strconv.ParseUint(digits, 10, 32)
		if !ok || err != nil {
			return PasswordParams{}, fmt.Errorf("password hash parameters %q are malformed", s)
		}
		values[i] = n
	}
	m, t, threads := values[0], values[1], values[2]
	if threads < 1 || threads > 255 || t < 1 || t > maxHashTime || m < 8*threads || m > maxHashMemory {
		return PasswordParams{}, fmt.Errorf("password hash parameters %q are out of bounds", s)
	}
	return PasswordParams{Memory: uint32(m), Time: uint32(t), Threads: uint8(threads)}, nil
}
