package postgres_test

import (
	"testing"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/test/pgtest"
)

// TestEveryConstraintIsTranslated lists the schema's unique indexes and
// foreign keys and checks that the adapter translates a violation of each.
func TestEveryConstraintIsTranslated(t *testing.T) {
	db := pgtest.New(t)
	var names []string
	err := db.Admin(t).SelectContext(t.Context(), &names, `
		SELECT i.relname FROM pg_index AS x
		JOIN pg_class AS i ON i.oid = x.indexrelid
		JOIN pg_class AS r ON r.oid = x.indrelid
		WHERE x.indisunique AND r.relnamespace = 'public'::regnamespace AND r.relname <> 'goose_db_version'
		UNION
		SELECT conname FROM pg_constraint
		WHERE contype = 'f' AND connamespace = 'public'::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 20 {
		t.Fatalf("found only %d unique indexes and foreign keys: %v", len(names), names)
	}
	for _, name := range names {
		if _, ok := postgres.TranslatedConstraint(name); !ok {
			t.Errorf("a violation of %s is not translated to an error kind", name)
		}
	}
}

// TestRowLevelSecurityCoversTenantTables checks that every table with tenant
// data has row-level security enabled and forced with one policy, and that
// only users and user_tokens (global) have none.
func TestRowLevelSecurityCoversTenantTables(t *testing.T) {
	db := pgtest.New(t)
	var tables []struct {
		Name     string `db:"relname"`
		Enabled  bool   `db:"relrowsecurity"`
		Forced   bool   `db:"relforcerowsecurity"`
		Policies int    `db:"policies"`
	}
	err := db.Admin(t).SelectContext(t.Context(), &tables, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			(SELECT count(*) FROM pg_policy AS p WHERE p.polrelid = c.oid) AS policies
		FROM pg_class AS c
		WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	global := map[string]bool{"users": true, "user_tokens": true}
	if len(tables) != 11 {
		t.Fatalf("found %d tables, want 11", len(tables))
	}
	for _, table := range tables {
		protected := table.Enabled && table.Forced && table.Policies == 1
		switch {
		case global[table.Name] && (table.Enabled || table.Policies != 0):
			t.Errorf("%s holds no tenant data but has row-level security", table.Name)
		case !global[table.Name] && !protected:
			t.Errorf("%s: row-level security enabled %v, forced %v, %d policies; want enabled, forced, 1",
				table.Name, table.Enabled, table.Forced, table.Policies)
		}
	}
}

// TestApplicationRoleOwnsNothing checks that the application role has no
// owner's privileges, and that the directory functions run as their definer
// with a fixed search_path and are not executable by PUBLIC.
func TestApplicationRoleOwnsNothing(t *testing.T) {
	db := pgtest.New(t)
	var owned int
	if err := db.Admin(t).GetContext(t.Context(), &owned, `
		SELECT count(*) FROM pg_class AS c
		WHERE c.relnamespace = 'public'::regnamespace AND pg_has_role($1, c.relowner, 'USAGE')`, db.AppRole); err != nil {
		t.Fatal(err)
	}
	if owned != 0 {
		t.Errorf("the application role has the privileges of the owner of %d relations", owned)
	}
	var definers []struct {
		Name    string `db:"proname"`
		Definer bool   `db:"prosecdef"`
		Config  string `db:"config"`
		Public  bool   `db:"public"`
	}
	if err := db.Admin(t).SelectContext(t.Context(), &definers, `
		SELECT proname, prosecdef, coalesce(array_to_string(proconfig, ','), '') AS config,
			has_function_privilege('public', oid, 'EXECUTE') AS public
		FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'directory_%'`); err != nil {
		t.Fatal(err)
	}
	if len(definers) != 4 {
		t.Fatalf("found %d directory functions, want 4", len(definers))
	}
	for _, f := range definers {
		if !f.Definer || f.Config != "search_path=pg_catalog, public, pg_temp" || f.Public {
			t.Errorf("%s: security definer %v, config %q, executable by PUBLIC %v", f.Name, f.Definer, f.Config, f.Public)
		}
	}
}
