package sqlite

import (
	"testing"

	"github.com/configmat/configmat/ports/porttest"
)

// TestMigrationsGoDownAndUp checks every Down section by migrating an
// in-use database to version 0 and back.
func TestMigrationsGoDownAndUp(t *testing.T) {
	s := openTest(t)
	porttest.NewTenant(t, s)
	p, err := Migrations(s.db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	var tables int
	if err := s.db.GetContext(t.Context(), &tables,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'goose%' AND name NOT LIKE 'sqlite%'`); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables left after migrating down", tables)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("up again: %v", err)
	}
	porttest.NewTenant(t, s)
}

// TestHeadMarksFromExistingData migrates a database with data below the
// head marks (migration 7) and up again: the existing heads are marked from
// their data.
func TestHeadMarksFromExistingData(t *testing.T) {
	s := openTest(t)
	check := porttest.MarkedHeads(t, s)
	p, err := Migrations(s.db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 6); err != nil {
		t.Fatalf("down: %v", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("up again: %v", err)
	}
	check(t)
}
