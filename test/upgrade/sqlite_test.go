package upgrade_test

import (
	"database/sql"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/migrations"
	"github.com/configmat/configmat/test/upgrade/internal/fixture"
)

// TestSQLiteUpgrade builds the embedded store's file as the old release left
// it (migration 00001 only, its data loaded), opens it with the new adapter,
// which applies 00002 and 00003, and reads everything back.
func TestSQLiteUpgrade(t *testing.T) {
	exp, err := fixture.Read(filepath.Join("testdata", "sqlite", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "configmat.db")
	createOldSQLite(t, path, filepath.Join("testdata", "sqlite", "data.sql"))
	raw := openRaw(t, path)
	legacy := snapshots(t, raw)
	assertSnapshotFormat(t, legacy, "value")
	assertEveryTableHasRows(t, raw)

	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("the new code cannot open the old database: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	// 3 converts the snapshots; 4 adds asset_schemas, empty after the
	// upgrade; 5 the audit tree's columns, filled in by the service; 6 the
	// read counts; 7 the version heads' marks, filled in from the data.
	if v := gooseVersion(t, raw); v != 7 {
		t.Errorf("the upgraded database is at migration %d, want 7", v)
	}
	upgradedSnapshots := snapshots(t, raw)
	if len(upgradedSnapshots) != len(legacy) {
		t.Fatalf("%d snapshots after the upgrade, %d before", len(upgradedSnapshots), len(legacy))
	}
	assertSnapshotFormat(t, upgradedSnapshots, "json")

	checkUpgraded(t, store, exp)
}

// TestSQLiteDowngrade upgrades the old release's file, then migrates it down
// to 2 and up again: going down gives back the very snapshot texts the old
// release wrote, and going up again the very texts of the first upgrade.
func TestSQLiteDowngrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "configmat.db")
	createOldSQLite(t, path, filepath.Join("testdata", "sqlite", "data.sql"))
	raw := openRaw(t, path)
	legacy := snapshots(t, raw)
	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("the new code cannot open the old database: %v", err)
	}
	upgraded := snapshots(t, raw)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	p, err := sqlite.Migrations(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name    string
		migrate func() error
		want    map[string]string
	}{
		{"down to 2", func() error { _, err := p.DownTo(t.Context(), 2); return err }, legacy},
		{"up again", func() error { _, err := p.Up(t.Context()); return err }, upgraded},
	} {
		if err := step.migrate(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := snapshots(t, raw)
		if len(got) != len(step.want) {
			t.Fatalf("%s: %d snapshots, want %d", step.name, len(got), len(step.want))
		}
		for id, text := range step.want {
			if got[id] != text {
				t.Errorf("%s: snapshot %s is\n%s\nwant\n%s", step.name, id, got[id], text)
			}
		}
	}
}

// createOldSQLite creates path with the old release's only migration,
// 00001, applied as it applied it (goose, no Go migrations), and loads the
// data dump.
func createOldSQLite(t *testing.T, path, dump string) {
	t.Helper()
	data, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations.SQLite, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 1); err != nil {
		t.Fatalf("migrate to 00001: %v", err)
	}
	if _, err := db.ExecContext(t.Context(), string(data)); err != nil {
		t.Fatalf("load %s: %v", dump, err)
	}
	if v := gooseVersion(t, db); v != 1 {
		t.Fatalf("the old database is at migration %d, want 1", v)
	}
}

// openRaw opens path read-only beside the store, to look at the rows as
// stored.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// gooseVersion returns the database's latest applied migration.
func gooseVersion(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRowContext(t.Context(), `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		t.Fatalf("read the migration version: %v", err)
	}
	return v
}

// snapshots returns every stored snapshot text by version row.
func snapshots(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT asset_id || '/' || environment || '/' || number, snapshot FROM versions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			t.Fatal(err)
		}
		out[id] = text
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no stored snapshot")
	}
	return out
}

// assertSnapshotFormat checks that every value of every snapshot is in one
// format: a secret has only "secret" and "sealed"; a plain value only
// valueMember, which for "value" (the legacy format) is the value's JSON
// and for "json" (the shared store's) a string holding it.
func assertSnapshotFormat(t *testing.T, snaps map[string]string, valueMember string) {
	t.Helper()
	for id, text := range snaps {
		var doc map[string]map[string]map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatalf("snapshot %s: %v: %s", id, err, text)
		}
		for object, keys := range doc {
			for key, members := range keys {
				where := id + " " + object + "." + key
				if string(members["secret"]) == "true" {
					if len(members) != 2 || members["sealed"] == nil {
						t.Errorf("%s: a secret stored as %v, want only secret and sealed", where, members)
					}
					continue
				}
				v, ok := members[valueMember]
				if !ok || len(members) != 1 {
					t.Errorf("%s: stored as %s, want only %q", where, text, valueMember)
					continue
				}
				if valueMember == "json" && !strings.HasPrefix(string(v), `"`) {
					t.Errorf("%s: json member %s is not a string", where, v)
				}
			}
		}
	}
}

// assertEveryTableHasRows checks that the fixture leaves no table empty, so
// that every table's rows go through the upgrade.
func assertEveryTableHasRows(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, table := range fixture.Tables {
		var n int
		if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("the fixture has no row in %s", table)
		}
	}
}
