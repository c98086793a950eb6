package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

const (
	// testKeyHex and otherKeyHex are test KEKs; their IDs were computed with
	// { printf 'configmat-kek-id'; echo -n $KEY | xxd -r -p; } | sha256sum.
	testKeyHex  = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	testKeyID   = "kek-3484ce56"
	otherKeyHex = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	otherKeyID  = "kek-0d1b913a"
)

// errReader is a random source that always fails.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func mustKEK(t *testing.T, s string) *KEK {
	t.Helper()
	k, err := ParseKEK(s)
	if err != nil {
		t.Fatalf("ParseKEK: %v", err)
	}
	return k
}

// assertNoKeyMaterial fails when err's text contains any of the secrets.
func assertNoKeyMaterial(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
			t.Fatalf("error %q reveals key material", err)
		}
	}
}

func TestParseKEK(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantID     string
		wantPrefix string
		wantErr    KEKError
	}{
		{name: "lower case", in: testKeyHex, wantID: testKeyID},
		{name: "upper case", in: strings.ToUpper(testKeyHex), wantID: testKeyID},
		{name: "surrounding whitespace", in: " \t" + testKeyHex + "\n", wantID: testKeyID},
		{name: "other key", in: otherKeyHex, wantID: otherKeyID},
		{name: "empty", in: "", wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but has 0",
			wantErr: KEKError{Problem: KEKWrongLength, Length: 0}},
		{name: "one short", in: testKeyHex[:63], wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but has 63",
			wantErr: KEKError{Problem: KEKWrongLength, Length: 63}},
		{name: "one long", in: testKeyHex + "0", wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but has 65",
			wantErr: KEKError{Problem: KEKWrongLength, Length: 65}},
		{name: "0x prefix", in: "0x" + testKeyHex[2:], wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but contains",
			wantErr: KEKError{Problem: KEKNotHex, Length: 64}},
		{name: "non-hex letter", in: testKeyHex[:40] + "g" + testKeyHex[41:], wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but contains",
			wantErr: KEKError{Problem: KEKNotHex, Length: 64}},
		{name: "inner space", in: testKeyHex[:31] + " " + testKeyHex[32:], wantPrefix: "the key-encryption key must be 64 hex characters (32 bytes) but contains",
			wantErr: KEKError{Problem: KEKNotHex, Length: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKEK(tt.in)
			if tt.wantPrefix == "" {
				if err != nil {
					t.Fatalf("ParseKEK: %v", err)
				}
				if k.ID() != tt.wantID {
					t.Fatalf("ID = %q, want %q", k.ID(), tt.wantID)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseKEK accepted %q", tt.in)
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid {
				t.Fatalf("error %v is not a VALIDATION_ERROR", err)
			}
			if !strings.HasPrefix(de.Message, tt.wantPrefix) {
				t.Fatalf("message %q, want prefix %q", de.Message, tt.wantPrefix)
			}
			var ke *KEKError
			if !errors.As(err, &ke) || ke.Problem != tt.wantErr.Problem || ke.Length != tt.wantErr.Length || ke.Cause != nil {
				t.Fatalf("error %#v, want a KEKError %+v", err, tt.wantErr)
			}
			assertNamesNoSetting(t, err)
			assertNoKeyMaterial(t, err, strings.TrimSpace(tt.in), "'g'")
		})
	}
}

func TestLoadKEK(t *testing.T) {
	devKey := func() (string, error) { return otherKeyHex, nil }
	tests := []struct {
		name       string
		cfg        KEKConfig
		wantID     string
		wantKind   domain.Kind
		wantPrefix string
		wantErr    KEKProblem
		wantDev    bool
	}{
		{name: "set", cfg: KEKConfig{Hex: testKeyHex}, wantID: testKeyID},
		{name: "set with development keys allowed ignores the development key", cfg: KEKConfig{Hex: testKeyHex, AllowDevelopmentKey: true, DevelopmentKey: devKey}, wantID: testKeyID},
		{name: "missing", cfg: KEKConfig{}, wantKind: domain.KindInvalid, wantPrefix: "no key-encryption key is set: it must be 64 hex characters", wantErr: KEKMissing},
		{name: "blank", cfg: KEKConfig{Hex: "  \n"}, wantKind: domain.KindInvalid, wantPrefix: "no key-encryption key is set", wantErr: KEKMissing},
		{name: "missing with a development key not allowed", cfg: KEKConfig{DevelopmentKey: devKey}, wantKind: domain.KindInvalid, wantPrefix: "no key-encryption key is set", wantErr: KEKMissing},
		{name: "malformed", cfg: KEKConfig{Hex: "abc"}, wantKind: domain.KindInvalid, wantPrefix: "the key-encryption key must be 64 hex characters", wantErr: KEKWrongLength},
		{name: "malformed with development keys allowed", cfg: KEKConfig{Hex: "abc", AllowDevelopmentKey: true, DevelopmentKey: devKey}, wantKind: domain.KindInvalid, wantPrefix: "the key-encryption key must be 64 hex characters", wantErr: KEKWrongLength},
		{name: "the development key", cfg: KEKConfig{AllowDevelopmentKey: true, DevelopmentKey: devKey}, wantID: otherKeyID, wantDev: true},
		{name: "no development key source", cfg: KEKConfig{AllowDevelopmentKey: true}, wantKind: domain.KindInternal,
			wantPrefix: "no key-encryption key is set and no development key source is configured", wantErr: DevelopmentKeyUnavailable},
		{
			name:     "a failing development key source",
			cfg:      KEKConfig{AllowDevelopmentKey: true, DevelopmentKey: func() (string, error) { return "", errors.New("read-only file system") }},
			wantKind: domain.KindInternal, wantPrefix: "no key-encryption key is set and the development key could not be loaded or created: read-only file system",
			wantErr: DevelopmentKeyUnavailable,
		},
		{
			name:     "a malformed development key",
			cfg:      KEKConfig{AllowDevelopmentKey: true, DevelopmentKey: func() (string, error) { return "0123", nil }},
			wantKind: domain.KindInvalid, wantPrefix: "no key-encryption key is set and the development key is malformed", wantErr: DevelopmentKeyMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := LoadKEK(tt.cfg)
			if tt.wantPrefix != "" {
				var de *domain.Error
				if !errors.As(err, &de) || de.Kind != tt.wantKind {
					t.Fatalf("error %v, want kind %s", err, tt.wantKind)
				}
				if !strings.HasPrefix(de.Message, tt.wantPrefix) {
					t.Fatalf("message %q, want prefix %q", de.Message, tt.wantPrefix)
				}
				var ke *KEKError
				if !errors.As(err, &ke) || ke.Problem != tt.wantErr {
					t.Fatalf("error %#v, want a KEKError of problem %d", err, tt.wantErr)
				}
				if (ke.Cause != nil) != strings.Contains(tt.name, "failing") {
					t.Fatalf("cause = %v", ke.Cause)
				}
				assertNamesNoSetting(t, err)
				assertNoKeyMaterial(t, err, otherKeyHex, testKeyHex)
				return
			}
			if err != nil {
				t.Fatalf("LoadKEK: %v", err)
			}
			if k.ID() != tt.wantID || k.Development() != tt.wantDev {
				t.Fatalf("ID = %q, development %t; want %q, %t", k.ID(), k.Development(), tt.wantID, tt.wantDev)
			}
		})
	}
}

// assertNamesNoSetting fails t when err's text names a setting or a command:
// the program that reads the key phrases those.
func assertNamesNoSetting(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{"ENCRYPTION_KEY", "DEBUG", "configmat"} {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q names %s", err, s)
		}
	}
}

func TestGenerateKeyHex(t *testing.T) {
	tests := []struct {
		name    string
		random  func() (string, error)
		wantErr bool
	}{
		{name: "crypto/rand", random: func() (string, error) { return GenerateKeyHex(rand.Reader) }},
		{name: "nil reader defaults to crypto/rand", random: func() (string, error) { return GenerateKeyHex(nil) }},
		{name: "failing reader", random: func() (string, error) { return GenerateKeyHex(errReader{}) }, wantErr: true},
		{name: "short reader", random: func() (string, error) { return GenerateKeyHex(strings.NewReader("short")) }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.random()
			if tt.wantErr {
				if !domain.IsKind(err, domain.KindInternal) || !strings.Contains(err.Error(), "key-encryption key") {
					t.Fatalf("error %v, want an internal error naming the key-encryption key", err)
				}
				assertNamesNoSetting(t, err)
				return
			}
			if err != nil {
				t.Fatalf("GenerateKeyHex: %v", err)
			}
			b, err := tt.random()
			if err != nil {
				t.Fatalf("GenerateKeyHex: %v", err)
			}
			if len(a) != 64 || strings.ToLower(a) != a || a == b {
				t.Fatalf("keys %q and %q: want two different 64-character lower-case keys", a, b)
			}
			mustKEK(t, a)
		})
	}
}

func TestKEKFormattingHidesKey(t *testing.T) {
	k := mustKEK(t, testKeyHex)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, k)
		if strings.Contains(strings.ToLower(out), testKeyHex[2:12]) || strings.Contains(out, "\x01\x02\x03") {
			t.Errorf("%s prints %q: key bytes revealed", verb, out)
		}
		if verb != "%x" && !strings.Contains(out, testKeyID) {
			t.Errorf("%s prints %q: want the key ID", verb, out)
		}
	}
}
