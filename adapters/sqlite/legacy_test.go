package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
)

// legacyFixture is the data the release before the shared SQL store wrote
// (test/upgrade, which also reads it back through the core).
var legacyFixture = filepath.Join("..", "..", "test", "upgrade", "testdata", "sqlite", "data.sql")

// TestLegacySnapshotsMigrateDownAndUp loads the old release's data into a
// database at migration 00001, upgrades it, migrates down to 2 and up
// again: going down gives back the very snapshot texts the old release
// wrote, and going up again the very texts of the first upgrade.
func TestLegacySnapshotsMigrateDownAndUp(t *testing.T) {
	dump, err := os.ReadFile(legacyFixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "configmat.db")
	old, err := sqlx.Open(driverName, dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrations(old.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), 1); err != nil {
		t.Fatalf("up to 1: %v", err)
	}
	if _, err := old.ExecContext(t.Context(), string(dump)); err != nil {
		t.Fatalf("load the old data: %v", err)
	}
	legacy := storedSnapshots(t.Context(), t, old.DB)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	shared := storedSnapshots(t.Context(), t, s.db.DB)
	for id, text := range shared {
		if text == legacy[id] {
			t.Errorf("snapshot %s was not converted: %s", id, text)
		}
	}

	if p, err = migrations(s.db.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 2); err != nil {
		t.Fatalf("down to 2: %v", err)
	}
	assertSnapshots(t, "after migrating down to 2", legacy, storedSnapshots(t.Context(), t, s.db.DB))
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("up again: %v", err)
	}
	assertSnapshots(t, "after migrating up again", shared, storedSnapshots(t.Context(), t, s.db.DB))
}

// storedSnapshots returns every version's snapshot text by asset,
// environment and number.
func storedSnapshots(ctx context.Context, t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT asset_id || '/' || environment || '/' || number, snapshot FROM versions`)
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
		t.Fatal("no snapshot stored")
	}
	return out
}

// assertSnapshots fails t unless got holds exactly want's texts.
func assertSnapshots(t *testing.T, when string, want, got map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d snapshots, want %d", when, len(got), len(want))
	}
	for id, text := range want {
		if got[id] != text {
			t.Errorf("%s: snapshot %s is\n  %s\nwant\n  %s", when, id, got[id], text)
		}
	}
}
