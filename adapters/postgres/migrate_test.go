package postgres_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/migrations"
	"github.com/configmat/configmat/ports/porttest"
	"github.com/configmat/configmat/test/pgtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	for range 2 {
		if err := postgres.Migrate(t.Context(), db.OwnerURL); err != nil {
			t.Fatalf("Migrate on a migrated database: %v", err)
		}
	}
}

// TestMigrateOwnerNeedsNoBypass migrates empty databases owned by roles that
// are neither superusers nor have BYPASSRLS: a member of configmat_directory
// (the DBA's setup) and a role with CREATEROLE (which makes itself one) both
// succeed, with the directory functions owned by configmat_directory; a role
// with neither is refused with the DBA's GRANT in the error.
func TestMigrateOwnerNeedsNoBypass(t *testing.T) {
	db := pgtest.New(t)
	directory := pq.QuoteIdentifier(postgres.DirectoryRole)
	cases := []struct {
		name       string
		role       string
		attributes string
		refusal    string
	}{
		{"MemberOfDirectory", "member", "NOCREATEROLE IN ROLE " + directory, ""},
		{"CreateRole", "createrole", "CREATEROLE", ""},
		{"NeitherMemberNorCreateRole", "plain", "NOCREATEROLE", "GRANT configmat_directory TO "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			role := createRole(t, db, "owner_"+tc.role,
				"LOGIN PASSWORD 'login-password' NOSUPERUSER NOBYPASSRLS NOCREATEDB "+tc.attributes)
			name := strings.Trim(role, `"`)
			admin := db.Admin(t)
			if _, err := admin.ExecContext(t.Context(), `CREATE DATABASE `+role+` OWNER `+role); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + role + ` WITH (FORCE)`); err != nil {
					t.Errorf("drop database %s: %v", name, err)
				}
			})
			ownerURL := databaseURL(t, loginURL(t, db, role), name)

			err := postgres.Migrate(t.Context(), ownerURL)
			if tc.refusal != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refusal+name) {
					t.Fatalf("Migrate = %v, want a refusal containing %q", err, tc.refusal+name)
				}
				if strings.Contains(err.Error(), "login-password") {
					t.Errorf("the error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			var member bool
			if err := admin.GetContext(t.Context(), &member, `SELECT pg_has_role($1, $2, 'MEMBER')`, name, postgres.DirectoryRole); err != nil || !member {
				t.Errorf("after the migrations, the owner is a member of %s: %v (%v)", postgres.DirectoryRole, member, err)
			}
			var owners []string
			if err := pgtest.Connect(t, databaseURL(t, db.AdminURL, name)).SelectContext(t.Context(), &owners, `
				SELECT DISTINCT proowner::regrole::text FROM pg_proc
				WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'directory\_%'`); err != nil {
				t.Fatal(err)
			}
			if len(owners) != 1 || owners[0] != postgres.DirectoryRole {
				t.Errorf("the directory functions are owned by %v, want %s", owners, postgres.DirectoryRole)
			}
		})
	}
}

// TestHeadMarksFromExistingData migrates a database with data below the
// head marks (migration 10) and up again, as the tables' owner under
// row-level security: the existing heads of every tenant are marked from
// their data.
func TestHeadMarksFromExistingData(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	store := db.Store(t)
	check := porttest.MarkedHeads(t, store)
	migrateDownTo(t, db, 9)
	if err := postgres.Migrate(t.Context(), db.OwnerURL); err != nil {
		t.Fatalf("up again: %v", err)
	}
	checkForced(t, db, "version_heads", "versions", "assets", "asset_schemas", "environments")
	check(t)
}

// TestVersionsUnderHeadsRefusesOrphans plants a version without a head below
// migration 11 and checks that the migration refuses it: the owner validates
// the versions' new foreign key over every tenant's rows (row-level security
// not forced on it meanwhile), and nothing of the migration stays.
func TestVersionsUnderHeadsRefusesOrphans(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	porttest.MarkedHeads(t, db.Store(t))
	migrateDownTo(t, db, 10)
	admin := db.Admin(t)
	res, err := admin.ExecContext(t.Context(), `DELETE FROM version_heads AS h
		WHERE EXISTS (SELECT 1 FROM versions AS v WHERE v.asset_id = h.asset_id AND v.environment = h.environment)
		AND h.asset_id = (SELECT min(asset_id::text)::uuid FROM versions)`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("no head to remove: the fixture wrote no version")
	}
	err = postgres.Migrate(t.Context(), db.OwnerURL)
	if err == nil || !strings.Contains(err.Error(), "versions_head_fkey") {
		t.Fatalf("Migrate over a version without a head: %v, want a violation of versions_head_fkey", err)
	}
	var version int64
	if err := admin.GetContext(t.Context(), &version, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`); err != nil {
		t.Fatal(err)
	}
	if version != 10 {
		t.Errorf("the database is at migration %d after the refusal, want 10", version)
	}
	checkForced(t, db, "version_heads", "versions", "environments")
}

// migrateDownTo migrates db down to version as the tables' owner.
func migrateDownTo(t *testing.T, db *pgtest.DB, version int64) {
	t.Helper()
	scripts, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.Owner(t).DB, scripts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), version); err != nil {
		t.Fatalf("down to %d: %v", version, err)
	}
}

// checkForced checks that row-level security is forced on tables, as the
// migrations that read or validate them leave it.
func checkForced(t *testing.T, db *pgtest.DB, tables ...string) {
	t.Helper()
	var unforced []string
	if err := db.Admin(t).SelectContext(t.Context(), &unforced, `SELECT relname FROM pg_class
		WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1) AND NOT relforcerowsecurity`, pq.Array(tables)); err != nil {
		t.Fatal(err)
	}
	if len(unforced) > 0 {
		t.Errorf("row-level security is not forced on %v", unforced)
	}
}
