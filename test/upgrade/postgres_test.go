package upgrade_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/configmat/configmat/test/pgtest"
	"github.com/configmat/configmat/test/upgrade/internal/fixture"
)

// TestPostgresUpgrade loads the old release's PostgreSQL data, as the
// tables' owner, into a database the harness migrated (PostgreSQL's
// migrations did not change with the shared store), and reads everything
// back through the new adapter connected as the application role, under
// row-level security.
func TestPostgresUpgrade(t *testing.T) {
	exp, err := fixture.Read(filepath.Join("testdata", "postgres", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	dump, err := os.ReadFile(filepath.Join("testdata", "postgres", "data.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t).Fresh(t)
	owner := db.Owner(t)
	tx, err := owner.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), string(dump)); err != nil {
		_ = tx.Rollback()
		t.Fatalf("load the old data as the owner: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	admin := db.Admin(t)
	var version int64
	if err := admin.GetContext(t.Context(), &version, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`); err != nil {
		t.Fatal(err)
	}
	// The old release's last migration was 5; 6 only adds asset_schemas,
	// a new table that an upgraded database starts without rows in; 7 adds
	// the audit tree's columns (filled in by the service), 8 grants and
	// functions of key rotation, 9 the read counts (a new table), 10 the
	// version heads' marks (filled in from the data, which this test loads
	// after it: adapters/postgres' TestHeadMarksFromExistingData checks
	// that), 11 puts versions under their heads (a foreign key the loaded
	// data must satisfy, and an index dropped; TestHeadMarksFromExistingData
	// also runs it on existing data, down and up).
	if version != 11 {
		t.Errorf("the harness database is at migration %d; want the old release's 5, then 6 to 11", version)
	}
	assertEveryTableHasRows(t, admin.DB)

	checkUpgraded(t, db.Store(t), exp)
}
