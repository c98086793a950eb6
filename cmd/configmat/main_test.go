package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "no command", wantCode: 2, wantStderr: "Usage:"},
		{name: "help", args: []string{"--help"}, wantStdout: "configmat serve"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: `unknown command "frobnicate"`},
		{name: "tenant without create", args: []string{"tenant"}, wantCode: 2, wantStderr: "Usage:"},
		{name: "tenant help", args: []string{"tenant", "--help"}, wantStdout: "tenant create --slug S"},
		{name: "audit with an unknown verb", args: []string{"audit", "erase"}, wantCode: 2, wantStderr: `unknown command "audit erase"`},
		{name: "keygen", args: []string{"keygen"}, wantStdout: "\n"},
		{name: "keygen with an argument", args: []string{"keygen", "extra"}, wantCode: 2, wantStderr: `unexpected argument "extra"`},
		{name: "subcommand help", args: []string{"apikey", "create", "--help"}, wantStderr: "--environment"},
		{name: "missing flag", args: []string{"tenant", "create", "--slug", "acme"}, wantCode: 2, wantStderr: "--name is required"},
		{name: "bad role", args: []string{"user", "create", "--email", "a@example.com", "--tenant", "acme", "--role", "god"}, wantCode: 2, wantStderr: "--role must be"},
		{name: "no password on stdin", args: []string{"user", "create", "--email", "a@example.com", "--tenant", "acme", "--role", "viewer"}, wantCode: 2, wantStderr: "password is read from stdin"},
		{name: "bad setting", args: []string{"migrate"}, env: map[string]string{"DB_POOL_SIZE": "abc"}, wantCode: 2, wantStderr: "DB_POOL_SIZE:"},
		{name: "missing encryption key", args: []string{"tenant", "create", "--slug", "acme", "--name", "Acme"},
			env: map[string]string{"DATABASE_URL": "sqlite:" + t.TempDir() + "/c.db"}, wantCode: 2, wantStderr: "ENCRYPTION_KEY must be set"},
		{name: "malformed encryption key", args: []string{"tenant", "create", "--slug", "acme", "--name", "Acme"},
			env: map[string]string{"ENCRYPTION_KEY": "abc", "DATABASE_URL": "sqlite:" + t.TempDir() + "/c.db"}, wantCode: 2, wantStderr: "ENCRYPTION_KEY must be 64 hex characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), env{
				args:   tt.args,
				getenv: func(k string) string { return tt.env[k] },
				stdin:  strings.NewReader(tt.stdin),
				stdout: &stdout,
				stderr: &stderr,
			})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
			if tt.name == "keygen" && !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(stdout.String()) {
				t.Errorf("keygen printed %q", stdout.String())
			}
		})
	}
}

func TestDevelopmentKeyIsKeptAndPrivate(t *testing.T) {
	path := t.TempDir() + "/data/dev-encryption.key"
	first, err := developmentKey(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := developmentKey(path)
	if err != nil || again != first {
		t.Fatalf("second read %q, %v; want %q", again, err, first)
	}
	info, err := statMode(path)
	if err != nil || info != 0o600 {
		t.Errorf("key file mode %o (%v), want 600", info, err)
	}
}

func statMode(path string) (uint32, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return uint32(fi.Mode().Perm()), nil
}
