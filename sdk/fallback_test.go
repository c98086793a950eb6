package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkFallbackFile checks that the file at path has mode 0600 and holds
// none of texts.
func checkFallbackFile(t *testing.T, path string, texts ...string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("fallback file mode %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		// Each text is long enough (6 bytes or more) not to turn up in the
		// ciphertext by chance: "db1", 3 bytes, did once (a 1 in 10,000 or so
		// chance per run for a file of a kilobyte or two).
		if len(text) < 6 {
			t.Fatalf("checkFallbackFile(%q): a text of fewer than 6 bytes may turn up in any ciphertext", text)
		}
		if bytes.Contains(data, []byte(text)) {
			t.Errorf("the fallback file holds %q in plaintext", text)
		}
	}
}

func TestGetAnswersFromTheFallbackFileWhenTheServerIsDown(t *testing.T) {
	f := newFakeServer(t)
	f.set("billing", "prod", billing("db-prod-1"))
	f.set("billing", "stage", billing("db-stage"))
	path := filepath.Join(t.TempDir(), "configmat.fallback")
	// An older file readable by others is replaced, not reused.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	c := newTestClient(t, f.URL(), WithFallbackFile(path))
	online, err := c.Get(ctx, "billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "billing", "stage"); err != nil {
		t.Fatal(err)
	}
	checkFallbackFile(t, path, "s3cr3t-pw-value", "db-prod-1", "db-stage", "billing", testKey)
	f.stop()

	// A new process, same key: both environments answer from the file.
	restarted := newTestClient(t, f.URL(), WithFallbackFile(path))
	for env, host := range map[string]string{"prod": "db-prod-1", "stage": "db-stage"} {
		cfg, err := restarted.Get(ctx, "billing", env)
		if err != nil {
			t.Fatalf("%s with the server down: %v", env, err)
		}
		got, _ := cfg.String("database", "host")
		if !cfg.FromFallback || got != host || cfg.Asset != "billing" || cfg.Environment != env {
			t.Errorf("%s from the fallback file: %+v, host %q", env, cfg, got)
		}
	}
	cfg, _ := restarted.Get(ctx, "billing", "prod")
	if cfg.ETag != online.ETag || cfg.Version != online.Version {
		t.Errorf("fallback ETag %s version %d, want %s %d", cfg.ETag, cfg.Version, online.ETag, online.Version)
	}
	if pw, _ := cfg.String("database", "password"); pw != "s3cr3t-pw-value" {
		t.Errorf("the secret from the fallback file: %q", pw)
	}

	// Nothing for a pair never read, nor for another API key.
	if _, err := restarted.Get(ctx, "billing", "local"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("a pair not in the file: %v, want ErrUnreachable", err)
	}
	other, err := New(f.URL(), "cmk_anotherkey", WithFallbackFile(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, "billing", "prod"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("another API key read the fallback file: %v", err)
	}
	// Without the option, nothing is read.
	plain := newTestClient(t, f.URL())
	if _, err := plain.Get(ctx, "billing", "prod"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("a client without a fallback file: %v", err)
	}
}

func TestFallbackFileEntriesAreBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fallback")
	f, err := newFallbackFile(path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	cfgOf := func(env, host string) *Config {
		return &Config{Asset: "billing", Environment: env, Version: 4, ETag: `"e-` + env + `"`,
			Values: map[string]map[string]json.RawMessage{"database": {"host": json.RawMessage(`"` + host + `"`)}}}
	}
	for env, host := range map[string]string{"prod": "h-prod", "stage": "h-stage"} {
		if err := f.save(cfgOf(env, host)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.save(cfgOf("prod", "h-prod-2")); err != nil {
		t.Fatal(err)
	}
	got, err := f.load("billing", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := got.String("database", "host"); host != "h-prod-2" || got.Version != 4 || got.ETag != `"e-prod"` || !got.FromFallback {
		t.Errorf("loaded %+v", got)
	}
	var doc fallbackDocument
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Entries) != 2 {
		t.Fatalf("the file holds %d entries (%v), want 2", len(doc.Entries), err)
	}

	tamper := []struct {
		name   string
		change func(d *fallbackDocument)
	}{
		{"entries swapped between ids", func(d *fallbackDocument) {
			d.Entries[0].ID, d.Entries[1].ID = d.Entries[1].ID, d.Entries[0].ID
		}},
		{"a flipped ciphertext bit", func(d *fallbackDocument) {
			for i := range d.Entries {
				d.Entries[i].Ciphertext[0] ^= 1
			}
		}},
		{"a short nonce", func(d *fallbackDocument) {
			for i := range d.Entries {
				d.Entries[i].Nonce = d.Entries[i].Nonce[:4]
			}
		}},
		{"another format", func(d *fallbackDocument) { d.Version = 2 }},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			var d fallbackDocument
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			tc.change(&d)
			changed, _ := json.Marshal(d)
			tampered := filepath.Join(t.TempDir(), "fallback")
			if err := os.WriteFile(tampered, changed, 0o600); err != nil {
				t.Fatal(err)
			}
			g, err := newFallbackFile(tampered, testKey)
			if err != nil {
				t.Fatal(err)
			}
			if cfg, err := g.load("billing", "prod"); err == nil {
				t.Errorf("a tampered file answered %+v", cfg)
			} else if strings.Contains(err.Error(), "h-prod") {
				t.Errorf("the error holds a value: %v", err)
			}
		})
	}

	if err := f.remove("billing", "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load("billing", "prod"); !errors.Is(err, errNoFallback) {
		t.Errorf("after remove: %v", err)
	}
	if cfg, err := f.load("billing", "stage"); err != nil || cfg.Environment != "stage" {
		t.Errorf("remove dropped another entry: %v", err)
	}

	// A key rotation: the new key's write replaces what it cannot open.
	rotated, err := newFallbackFile(path, testKey+"-rotated")
	if err != nil {
		t.Fatal(err)
	}
	if err := rotated.save(cfgOf("prod", "h-new")); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Entries) != 1 {
		t.Errorf("after a write with another key the file holds %d entries, want 1", len(doc.Entries))
	}
	if _, err := f.load("billing", "stage"); err == nil {
		t.Error("the old key still reads an entry the new key's write should have dropped")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
