package postgres_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/configmat/configmat/adapters/postgres"
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

// TestMigrateRefusesOwnerSubjectToRLS migrates a database owned by a role
// without BYPASSRLS: the directory functions would run as it and see nothing.
func TestMigrateRefusesOwnerSubjectToRLS(t *testing.T) {
	db := pgtest.New(t)
	admin := db.Admin(t)
	name := db.Name + "_plain_owner"
	for _, stmt := range []string{
		`CREATE ROLE ` + pq.QuoteIdentifier(name) + ` LOGIN PASSWORD 'plain-owner' NOBYPASSRLS`,
		`CREATE DATABASE ` + pq.QuoteIdentifier(name) + ` OWNER ` + pq.QuoteIdentifier(name),
	} {
		if _, err := admin.ExecContext(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, stmt := range []string{
			`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`,
			`DROP ROLE IF EXISTS ` + pq.QuoteIdentifier(name),
		} {
			if _, err := admin.Exec(stmt); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	u, err := url.Parse(db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.UserPassword(name, "plain-owner"), "/"+name
	err = postgres.Migrate(t.Context(), u.String())
	if err == nil || !strings.Contains(err.Error(), "BYPASSRLS") {
		t.Fatalf("Migrate as an owner without BYPASSRLS = %v, want a refusal naming BYPASSRLS", err)
	}
	if strings.Contains(err.Error(), "plain-owner") {
		t.Errorf("the error reveals the password: %v", err)
	}
}
