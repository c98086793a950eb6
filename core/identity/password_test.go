package identity

import (
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestPasswordHashRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "correct horse battery staple"},
		{"unicode", "pässwörd-日本語-🔑"},
		{"longest", strings.Repeat("x", domain.MaxPasswordLength)},
		{"empty", ""},
	}
	h := newPasswordHasher(cheapParams, rand.Reader)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash, err := h.hash(tt.password)
			if err != nil {
				t.Fatalf("hash: %v", err)
			}
			if !phcRE.MatchString(hash) {
				t.Fatalf("hash %q is not the expected PHC string", hash)
			}
			if ok, err := h.verify(hash, tt.password); err != nil || !ok {
				t.Fatalf("verify(right password) = %v, %v; want true", ok, err)
			}
			if ok, err := h.verify(hash, tt.password+"x"); err != nil || ok {
				t.Fatalf("verify(wrong password) = %v, %v; want false", ok, err)
			}
			again, err := h.hash(tt.password)
			if err != nil || again == hash {
				t.Fatalf("a second hash of the same password must differ by its salt: %q, %v", again, err)
			}
		})
	}
}

func TestPasswordVerifyUsesTheStoredParameters(t *testing.T) {
	old := PasswordParams{Memory: 32, Time: 2, Threads: 2, SaltLength: 8, KeyLength: 16}
	hash, err := newPasswordHasher(old, rand.Reader).hash("an older password")
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=32,t=2,p=2$") {
		t.Fatalf("hash %q does not carry its parameters", hash)
	}
	ok, err := newPasswordHasher(cheapParams, rand.Reader).verify(hash, "an older password")
	if err != nil || !ok {
		t.Fatalf("verify with other current params = %v, %v; want true", ok, err)
	}
}

func TestPasswordHashFailsWithoutRandomness(t *testing.T) {
	_, err := newPasswordHasher(cheapParams, failingReader{}).hash("a fine password")
	wantKind(t, err, domain.KindInternal)
}

func TestPasswordParamsDefaults(t *testing.T) {
	d := DefaultPasswordParams
	if d != (PasswordParams{Memory: 19456, Time: 2, Threads: 1, SaltLength: 16, KeyLength: 32}) {
		t.Fatalf("DefaultPasswordParams = %+v, want OWASP's m=19456 t=2 p=1", d)
	}
	tests := []struct {
		name string
		in   PasswordParams
		want PasswordParams
	}{
		{"zero", PasswordParams{}, d},
		{"memory only", PasswordParams{Memory: 1024}, PasswordParams{1024, d.Time, d.Threads, d.SaltLength, d.KeyLength}},
		{"time and threads", PasswordParams{Time: 3, Threads: 4}, PasswordParams{d.Memory, 3, 4, d.SaltLength, d.KeyLength}},
		{"lengths", PasswordParams{SaltLength: 24, KeyLength: 64}, PasswordParams{d.Memory, d.Time, d.Threads, 24, 64}},
		{"complete", cheapParams, cheapParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Fatalf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParsePHC(t *testing.T) {
	const salt = "c2FsdHNhbHRzYWx0c2FsdA"                     // 16 bytes
	const key = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U" // 32 bytes
	valid := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	p, s, k, err := parsePHC(valid)
	if err != nil || p != cheapParams || len(s) != 16 || len(k) != 32 {
		t.Fatalf("parsePHC(valid) = %+v, %d, %d, %v", p, len(s), len(k), err)
	}

	bad := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"not PHC", "hunter2"},
		{"bcrypt", "$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"too many fields", valid + "$extra"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"two parameters", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"reordered parameters", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"non-numeric memory", "$argon2id$v=19$m=x,t=1,p=1$" + salt + "$" + key},
		{"negative time", "$argon2id$v=19$m=64,t=-1,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"too many threads", "$argon2id$v=19$m=65536,t=1,p=256$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"too much time", "$argon2id$v=19$m=64,t=65,p=1$" + salt + "$" + key},
		{"memory below 8 per thread", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key},
		{"too much memory", "$argon2id$v=19$m=4194305,t=1,p=1$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"key not base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$%%%%"},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + salt[:10]},
	}
	h := newPasswordHasher(cheapParams, rand.Reader)
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, err := parsePHC(tt.encoded); err == nil {
				t.Fatalf("parsePHC(%q) succeeded, want an error", tt.encoded)
			}
			ok, err := h.verify(tt.encoded, "any password")
			if ok {
				t.Fatal("verify accepted a malformed hash")
			}
			wantKind(t, err, domain.KindInternal)
		})
	}
}

func TestPasswordBurnCostsOneDerivation(t *testing.T) {
	h := newPasswordHasher(cheapParams, rand.Reader)
	var runs int
	h.derive = func(password, salt []byte, p PasswordParams) []byte {
		runs++
		if p != cheapParams {
			t.Errorf("dummy hash params = %+v, want the current %+v", p, cheapParams)
		}
		return argon2id(password, salt, p)
	}
	h.burn("first")
	first := runs
	h.burn("second")
	if first != 2 || runs != 3 {
		t.Fatalf("derivations = %d then %d, want 2 (dummy made once, then verified) then 3", first, runs)
	}
}
