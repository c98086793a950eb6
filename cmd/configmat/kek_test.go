package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/keys"
)

// TestKEKProblemsNameTheSettings: core/keys says what is wrong with the key
// without naming a setting; the program tells the operator which setting to
// fix and how to get a key.
func TestKEKProblemsNameTheSettings(t *testing.T) {
	const key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	devKey := "/data/dev-encryption.key"
	tests := []struct {
		name string
		cfg  keys.KEKConfig
		want string
	}{
		{"missing", keys.KEKConfig{},
			"ENCRYPTION_KEY must be set to 64 hex characters (32 bytes); generate one with `configmat keygen`, or set DEBUG=true to use a development key"},
		{"too short", keys.KEKConfig{Hex: "abc"},
			"ENCRYPTION_KEY must be 64 hex characters (32 bytes) but has 3; generate one with `configmat keygen`"},
		{"not hex", keys.KEKConfig{Hex: "zz" + key[2:]},
			"ENCRYPTION_KEY must be 64 hex characters (32 bytes) but contains a character that is not hex; generate one with `configmat keygen`"},
		{"no development key source", keys.KEKConfig{AllowDevelopmentKey: true},
			"ENCRYPTION_KEY is not set and no development key source is configured"},
		{"a failing development key source", keys.KEKConfig{AllowDevelopmentKey: true, DevelopmentKey: func() (string, error) {
			return "", errors.New("creating the development key /data/dev-encryption.key: read-only file system")
		}}, "ENCRYPTION_KEY is not set and the development key could not be loaded or created: creating the development key /data/dev-encryption.key: read-only file system"},
		{"a malformed development key", keys.KEKConfig{AllowDevelopmentKey: true, DevelopmentKey: func() (string, error) { return "0123", nil }},
			"ENCRYPTION_KEY is not set and the stored development key /data/dev-encryption.key is malformed: it must be 64 hex characters (32 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keys.LoadKEK(tt.cfg)
			if err == nil {
				t.Fatal("LoadKEK accepted the configuration")
			}
			if got := kekProblem(err, devKey).Error(); got != tt.want {
				t.Errorf("message\n got %s\nwant %s", got, tt.want)
			}
			if strings.Contains(kekProblem(err, devKey).Error(), key[2:]) {
				t.Error("the message repeats the key")
			}
		})
	}
}

func TestLoadKEKWarnsOfTheDevelopmentKey(t *testing.T) {
	dir := t.TempDir()
	s := Settings{Debug: true, DatabaseURL: "sqlite:" + filepath.Join(dir, "configmat.db")}
	var warnings []string
	kek, err := loadKEK(s, func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dev-encryption.key")); err != nil {
		t.Fatalf("no development key beside the database: %v", err)
	}
	want := "ENCRYPTION_KEY is not set and DEBUG=true: secrets are encrypted with the development key " + kek.ID() +
		". DO NOT USE IN PRODUCTION: set ENCRYPTION_KEY (generate one with `configmat keygen`)"
	if len(warnings) != 1 || warnings[0] != want {
		t.Fatalf("warnings = %q, want [%q]", warnings, want)
	}

	s.EncryptionKey = strings.Repeat("ab", 32)
	warnings = nil
	if _, err := loadKEK(s, func(w string) { warnings = append(warnings, w) }); err != nil || len(warnings) != 0 {
		t.Fatalf("a configured key: %v, warnings %q", err, warnings)
	}
}
