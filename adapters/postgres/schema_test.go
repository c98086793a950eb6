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
// data has row-level security enabled and forced with one tenant_isolation
// policy for all commands and roles, that only users and user_tokens
// (global) have none, and that the only other policies are the directory's:
// read-only, for configmat_directory alone, on the three tables its functions
// read.
func TestRowLevelSecurityCoversTenantTables(t *testing.T) {
	db := pgtest.New(t)
	var tables []struct {
		Name      string `db:"relname"`
		Enabled   bool   `db:"relrowsecurity"`
		Forced    bool   `db:"relforcerowsecurity"`
		Isolation int    `db:"isolation"`
		Policies  string `db:"policies"`
	}
	err := db.Admin(t).SelectContext(t.Context(), &tables, `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			(SELECT count(*) FROM pg_policy AS p
			 WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation' AND p.polcmd = '*'
			   AND p.polpermissive AND p.polroles = '{0}') AS isolation,
			coalesce((SELECT string_agg(format('%s %s %s %s %s', p.polname, p.polcmd,
					CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
					(SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ',') FROM unnest(p.polroles) AS r),
					pg_get_expr(p.polqual, p.polrelid)), '; ' ORDER BY p.polname)
			 FROM pg_policy AS p WHERE p.polrelid = c.oid AND p.polname <> 'tenant_isolation'), '') AS policies
		FROM pg_class AS c
		WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	global := map[string]bool{"users": true, "user_tokens": true}
	directoryReads := map[string]bool{"tenants": true, "memberships": true, "api_keys": true}
	const directoryPolicy = "directory_lookup r permissive " + postgres.DirectoryRole + " true"
	if len(tables) != 13 {
		t.Fatalf("found %d tables, want 13", len(tables))
	}
	for _, table := range tables {
		protected := table.Enabled && table.Forced && table.Isolation == 1
		switch {
		case global[table.Name] && (table.Enabled || table.Isolation != 0 || table.Policies != ""):
			t.Errorf("%s holds no tenant data but has row-level security", table.Name)
		case !global[table.Name] && !protected:
			t.Errorf("%s: row-level security enabled %v, forced %v, %d tenant_isolation policies; want enabled, forced, 1",
				table.Name, table.Enabled, table.Forced, table.Isolation)
		case directoryReads[table.Name] && table.Policies != directoryPolicy:
			t.Errorf("%s: other policies %q, want %q", table.Name, table.Policies, directoryPolicy)
		case !directoryReads[table.Name] && table.Policies != "":
			t.Errorf("%s: unexpected policies %q", table.Name, table.Policies)
		}
	}
}

// TestApplicationRoleOwnsNothing checks that the application role has no
// owner's privileges, and that the directory functions are owned by
// configmat_directory, run as it with a fixed search_path and are executable
// by configmat_app but not by PUBLIC.
func TestApplicationRoleOwnsNothing(t *testing.T) {
	db := pgtest.New(t)
	var owned int
	if err := db.Admin(t).GetContext(t.Context(), &owned, `
		SELECT count(*) FROM pg_class AS c
		WHERE c.relnamespace = 'public'::regnamespace AND pg_has_role($1, c.relowner, 'MEMBER')`, db.AppRole); err != nil {
		t.Fatal(err)
	}
	if owned != 0 {
		t.Errorf("the application role may become the owner of %d relations", owned)
	}
	var definers []struct {
		Name    string `db:"proname"`
		Owner   string `db:"owner"`
		Definer bool   `db:"prosecdef"`
		Config  string `db:"config"`
		Public  bool   `db:"public"`
		App     bool   `db:"app"`
	}
	if err := db.Admin(t).SelectContext(t.Context(), &definers, `
		SELECT proname, proowner::regrole::text AS owner, prosecdef,
			coalesce(array_to_string(proconfig, ','), '') AS config,
			has_function_privilege('public', oid, 'EXECUTE') AS public,
			has_function_privilege($1, oid, 'EXECUTE') AS app
		FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'directory\_%'`,
		postgres.ApplicationRole); err != nil {
		t.Fatal(err)
	}
	if len(definers) != 6 {
		t.Fatalf("found %d directory functions, want 6", len(definers))
	}
	for _, f := range definers {
		if f.Owner != postgres.DirectoryRole || !f.Definer || f.Config != "search_path=pg_catalog, public, pg_temp" || f.Public || !f.App {
			t.Errorf("%s: owner %s, security definer %v, config %q, executable by PUBLIC %v, by %s %v",
				f.Name, f.Owner, f.Definer, f.Config, f.Public, postgres.ApplicationRole, f.App)
		}
	}
}
