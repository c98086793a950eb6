package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWith runs one command line with env as its settings.
func runWith(settings map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), env{
		args:   args,
		getenv: func(k string) string { return settings[k] },
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
	})
	return code, stdout.String(), stderr.String()
}

func TestKeygenAuditAndVerifierKey(t *testing.T) {
	code, out, stderr := runWith(nil, "keygen", "--audit")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "PRIVATE+KEY+configmat.audit+") || !strings.HasPrefix(lines[1], "configmat.audit+") {
		t.Fatalf("keygen --audit exited %d: %q %s", code, out, stderr)
	}
	key := strings.Repeat("ab", 32)
	code, vkey, stderr := runWith(map[string]string{"ENCRYPTION_KEY": key, "AUDIT_SIGNING_KEY": lines[0]}, "audit", "verifier-key")
	if code != 0 || strings.TrimSpace(vkey) != lines[1] {
		t.Fatalf("audit verifier-key with AUDIT_SIGNING_KEY exited %d: %q, want %q (%s)", code, vkey, lines[1], stderr)
	}
	_, derived, _ := runWith(map[string]string{"ENCRYPTION_KEY": key}, "audit", "verifier-key")
	_, again, _ := runWith(map[string]string{"ENCRYPTION_KEY": key}, "audit", "verifier-key")
	_, other, _ := runWith(map[string]string{"ENCRYPTION_KEY": strings.Repeat("cd", 32)}, "audit", "verifier-key")
	if !strings.HasPrefix(derived, "configmat.audit+") || derived != again || derived == other || strings.TrimSpace(derived) == lines[1] {
		t.Fatalf("derived verifier keys: %q, %q, another KEK's %q", derived, again, other)
	}
	code, _, stderr = runWith(map[string]string{"ENCRYPTION_KEY": key, "AUDIT_SIGNING_KEY": lines[1]}, "audit", "verifier-key")
	if code != 2 || !strings.Contains(stderr, "AUDIT_SIGNING_KEY:") {
		t.Fatalf("a verifier key as AUDIT_SIGNING_KEY exited %d: %s", code, stderr)
	}
}

func TestAuditVerifyOfflineErrors(t *testing.T) {
	dir := t.TempDir()
	_, out, _ := runWith(nil, "keygen", "--audit")
	vkey := strings.Split(strings.TrimSpace(out), "\n")[1]
	notJSON := filepath.Join(dir, "entries.jsonl")
	if err := os.WriteFile(notJSON, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	badTime := filepath.Join(dir, "bad-time.jsonl")
	if err := os.WriteFile(badTime, []byte(`{"seq":3,"action":"x","created_at":"yesterday"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	note := filepath.Join(dir, "checkpoint.txt")
	if err := os.WriteFile(note, []byte("configmat.audit/x\n1\nAAAA\n\n— configmat.audit AAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no entries", []string{"--checkpoint", note, "--verifier-key", vkey}, 2, "--offline needs --entries"},
		{"a bad verifier key", []string{"--entries", notJSON, "--checkpoint", note, "--verifier-key", "nonsense"}, 2, "--verifier-key"},
		{"entries that are not JSON", []string{"--entries", notJSON, "--checkpoint", note, "--verifier-key", vkey}, 2, "--entries"},
		{"an entry's bad time", []string{"--entries", badTime, "--checkpoint", note, "--verifier-key", vkey}, 2, "--entries: entry 3: created_at is not an RFC 3339 time"},
		{"a missing checkpoint", []string{"--entries", notJSON, "--checkpoint", filepath.Join(dir, "none"), "--verifier-key", vkey}, 2, "--checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runWith(nil, append([]string{"audit", "verify", "--offline"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runWith(nil, "audit", "verify", "--offline", "--entries", empty, "--checkpoint", note, "--verifier-key", vkey)
	if code != 1 || !strings.Contains(stdout, "INVALID") {
		t.Fatalf("a checkpoint signed by no one exited %d: %s", code, stdout)
	}
}
