package sqlite

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "deeper", "configmat.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	porttest.NewUser(t, s) // writes the WAL
	cases := []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Dir(path), 0o700 | os.ModeDir},
		{filepath.Dir(filepath.Dir(path)), 0o700 | os.ModeDir},
		{path, 0o600},
		{path + "-wal", 0o600},
	}
	for _, c := range cases {
		info, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != c.mode {
			t.Errorf("%s has mode %v, want %v", c.path, info.Mode(), c.mode)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesOddPaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "db?mode=ro", "a#b"} {
		t.Run(path, func(t *testing.T) {
			_, err := Open(t.Context(), path)
			if domain.KindOf(err) != domain.KindInvalid {
				t.Errorf("Open(%q) = %v, want %s", path, err, domain.KindInvalid)
			}
		})
	}
}

func TestConnectionSettings(t *testing.T) {
	s := openTest(t)
	cases := []struct {
		db     string
		pragma string
		want   string
	}{
		{"db", "foreign_keys", "1"},
		{"db", "journal_mode", "wal"},
		{"db", "busy_timeout", "10000"},
		{"db", "synchronous", "1"},
		{"db", "query_only", "0"},
		{"probe", "foreign_keys", "1"},
		{"probe", "query_only", "1"},
	}
	for _, c := range cases {
		t.Run(c.db+"/"+c.pragma, func(t *testing.T) {
			db := s.db
			if c.db == "probe" {
				db = s.probe
			}
			var got string
			if err := db.GetContext(t.Context(), &got, "PRAGMA "+c.pragma); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
			}
		})
	}
}

func TestRestartKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "configmat.db")
	first, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	tenant := porttest.NewTenant(t, first)
	asset := porttest.NewAsset(t, first, tenant.ID, "kept")
	snap := domain.Snapshot{"app": {"k": {Value: json.RawMessage(`{"a":[1,true]}`)}, "s": {Secret: true, Sealed: []byte{0, 1, 2}}}}
	porttest.MustInTenant(t, first, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		if _, err := st.Versions().LockHead(ctx, asset.ID, "prod"); err != nil {
			return err
		}
		return st.Versions().Create(ctx, domain.Version{AssetID: asset.ID, Environment: "prod", Number: 1, Source: domain.SourceEdit, Snapshot: snap})
	})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer second.Close()
	if err := second.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate on a migrated database: %v", err)
	}
	porttest.MustInTenant(t, second, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		got, err := st.Versions().Current(ctx, asset.ID, "prod")
		if err != nil {
			return err
		}
		if got.Number != 1 || string(got.Snapshot["app"]["k"].Value) != `{"a":[1,true]}` || string(got.Snapshot["app"]["s"].Sealed) != "\x00\x01\x02" {
			t.Errorf("after restart: version %d with %+v", got.Number, got.Snapshot)
		}
		return nil
	})
}

func TestHealth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret-dir-name", "configmat.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	healthy := s.Health(t.Context())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		report map[string]any
		status string
	}{
		{"Open", healthy, "healthy"},
		{"Closed", s.Health(t.Context()), "unhealthy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.report["status"] != c.status || c.report["driver"] != "sqlite" || len(c.report) != 2 {
				t.Errorf("Health = %v, want status %s and driver sqlite only", c.report, c.status)
			}
			text, err := json.Marshal(c.report)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(text), "secret-dir-name") || strings.Contains(string(text), "closed") {
				t.Errorf("Health leaks details: %s", text)
			}
		})
	}
}
