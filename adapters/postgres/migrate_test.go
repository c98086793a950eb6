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
	scripts, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	owner := db.Owner(t)
	p, err := goose.NewProvider(goose.DialectPostgres, owner.DB, scripts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 9); err != nil {
		t.Fatalf("down: %v", err)
	}
	if err := postgres.Migrate(t.Context(), db.OwnerURL); err != nil {
		t.Fatalf("up again: %v", err)
	}
	var forced int
	if err := owner.GetContext(t.Context(), &forced, `SELECT count(*) FROM pg_class
		WHERE relname IN ('version_heads', 'versions', 'assets', 'asset_schemas') AND relforcerowsecurity`); err != nil {
		t.Fatal(err)
	}
	if forced != 4 {
		t.Errorf("row-level security is forced on %d of the 4 tables the migration read, want 4", forced)
	}
	check(t)
}
