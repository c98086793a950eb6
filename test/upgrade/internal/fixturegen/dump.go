package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lib/pq"
	_ "modernc.org/sqlite" // the "sqlite" driver, to dump the embedded store

	"github.com/configmat/configmat/test/upgrade/internal/fixture"
)

// generateSQLite runs the scenario on the embedded store and writes
// expected.json and data.sql into dir.
func generateSQLite(ctx context.Context, oldBinary, dir string) error {
	tmp, err := os.MkdirTemp("", "configmat-old-sqlite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "configmat.db")
	settings := map[string]string{
		"DATABASE_URL":   "sqlite:" + path,
		"DEBUG":          "true",
		"ENCRYPTION_KEY": encryptionKey,
	}
	exp, err := scenarioOn(ctx, oldBinary, "sqlite", settings, settings)
	if err != nil {
		return err
	}
	dump, err := dumpSQLite(ctx, path)
	if err != nil {
		return err
	}
	return writeFixture(dir, exp, dump)
}

// scenarioOn starts the old server with settings, runs the scenario (the
// admin CLI with cliSettings) and stops the server.
func scenarioOn(ctx context.Context, oldBinary, store string, settings, cliSettings map[string]string) (fixture.Expected, error) {
	srv, err := startOld(ctx, oldBinary, settings)
	if err != nil {
		return fixture.Expected{}, err
	}
	cli := func(stdin string, args ...string) (string, error) {
		return runOld(ctx, oldBinary, cliSettings, stdin, args...)
	}
	exp, err := runScenario(ctx, store, srv.base, cli)
	if stopErr := srv.stop(); err == nil && stopErr != nil {
		err = fmt.Errorf("stop the old server: %w; log: %s", stopErr, srv.log.String())
	}
	return exp, err
}

// writeFixture writes a store's two fixture files.
func writeFixture(dir string, exp fixture.Expected, dump string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := fixture.Write(filepath.Join(dir, "expected.json"), exp); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "data.sql"), []byte(dump), 0o600) // #nosec G703 -- the fixture folder the developer names on the command line
}

// dumpSQLite writes every row of fixture.Tables as INSERT statements, in primary-key
// order, each value as SQLite's quote() writes it (text as '...' with ”
// for a quote, blobs as X'hex', integers and NULL as themselves).
func dumpSQLite(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var out strings.Builder
	out.WriteString("-- Data written by ConfigMat " + release + " (the embedded store, migration 00001),\n")
	out.WriteString("-- dumped by test/upgrade/internal/fixturegen. Load it into a database\n")
	out.WriteString("-- migrated up to version 1 only.\n")
	for _, table := range fixture.Tables {
		columns, keys, err := sqliteColumns(ctx, db, table)
		if err != nil {
			return "", err
		}
		quoted := make([]string, len(columns))
		for i, c := range columns {
			quoted[i] = "quote(" + c + ")"
		}
		rows, err := db.QueryContext(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM "+table+" ORDER BY "+strings.Join(keys, ", ")) // #nosec G202 -- table names are fixture.Tables, columns come from the schema
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
		fmt.Fprintf(&out, "\n-- %s\n", table)
		for rows.Next() {
			literals := make([]string, len(columns))
			dest := make([]any, len(columns))
			for i := range literals {
				dest[i] = &literals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				_ = rows.Close()
				return "", err
			}
			fmt.Fprintf(&out, "INSERT INTO %s (%s) VALUES (%s);\n", table, strings.Join(columns, ", "), strings.Join(literals, ", "))
		}
		if err := rows.Close(); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// sqliteColumns returns a table's columns and its primary-key columns in
// key order.
func sqliteColumns(ctx context.Context, db *sql.DB, table string) (columns, keys []string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byPosition := map[int]string{}
	for rows.Next() {
		var name string
		var pk int
		if err := rows.Scan(&name, &pk); err != nil {
			return nil, nil, err
		}
		columns = append(columns, name)
		if pk > 0 {
			byPosition[pk] = name
		}
	}
	for i := 1; i <= len(byPosition); i++ {
		keys = append(keys, byPosition[i])
	}
	if len(columns) == 0 || len(keys) == 0 {
		return nil, nil, fmt.Errorf("table %s has no columns or no primary key", table)
	}
	return columns, keys, rows.Err()
}

// pgRoles are the database and roles made for one PostgreSQL run, set up as
// the old release's README tells a DBA to (and as test/pgtest does).
type pgRoles struct {
	admin            *sql.DB
	superuserURL     string
	database         string
	owner, app       string
	ownerURL, appURL string
}

// generatePostgres runs the scenario on PostgreSQL and writes expected.json
// and data.sql into dir.
func generatePostgres(ctx context.Context, oldBinary, superuserURL, dir string) error {
	r, err := createRoles(ctx, superuserURL)
	if err != nil {
		return err
	}
	defer r.drop(ctx)
	ownerSettings := map[string]string{"DATABASE_URL": r.ownerURL, "ENCRYPTION_KEY": encryptionKey}
	if _, err := runOld(ctx, oldBinary, ownerSettings, "", "migrate"); err != nil {
		return err
	}
	settings := map[string]string{
		"DATABASE_URL":     r.appURL,
		"MIGRATE_ON_START": "false",
		"ALLOW_SIGNUP":     "true",
		"ENCRYPTION_KEY":   encryptionKey,
	}
	exp, err := scenarioOn(ctx, oldBinary, "postgres", settings, settings)
	if err != nil {
		return err
	}
	dump, err := dumpPostgres(ctx, r, exp.Tenant.ID)
	if err != nil {
		return err
	}
	return writeFixture(dir, exp, dump)
}

// createRoles creates a database and its owner and application roles.
func createRoles(ctx context.Context, superuserURL string) (*pgRoles, error) {
	admin, err := sql.Open("postgres", superuserURL)
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return nil, err
	}
	name := "configmat_fixturegen_" + hex.EncodeToString(suffix)
	r := &pgRoles{admin: admin, superuserURL: superuserURL, database: name, owner: name + "_owner", app: name + "_app"}
	if r.ownerURL, err = roleURL(superuserURL, r.owner, name); err != nil {
		return nil, err
	}
	if r.appURL, err = roleURL(superuserURL, r.app, name); err != nil {
		return nil, err
	}
	for _, stmt := range []string{
		"CREATE ROLE " + pq.QuoteIdentifier(r.owner) + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_directory",
		"CREATE ROLE " + pq.QuoteIdentifier(r.app) + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE IN ROLE configmat_app",
		"CREATE DATABASE " + pq.QuoteIdentifier(name) + " OWNER " + pq.QuoteIdentifier(r.owner),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			r.drop(ctx)
			return nil, fmt.Errorf("%s: %w (the group roles configmat_app and configmat_directory must exist)", stmt, err)
		}
	}
	return r, nil
}

// drop removes the database and roles.
func (r *pgRoles) drop(ctx context.Context) {
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(r.database) + " WITH (FORCE)",
		"DROP ROLE IF EXISTS " + pq.QuoteIdentifier(r.app),
		"DROP ROLE IF EXISTS " + pq.QuoteIdentifier(r.owner),
	} {
		if _, err := r.admin.ExecContext(ctx, stmt); err != nil { // #nosec G701 -- every name is quoted with pq.QuoteIdentifier
			fmt.Fprintf(os.Stderr, "fixturegen: %s: %v\n", stmt, err)
		}
	}
	_ = r.admin.Close()
}

// roleURL returns the superuser URL with another user and database.
func roleURL(superuserURL, user, database string) (string, error) {
	u, err := url.Parse(superuserURL)
	if err != nil {
		return "", err
	}
	u.User = url.User(user)
	u.Path = "/" + database
	return u.String(), nil
}

// dumpPostgres runs pg_dump --data-only --inserts --column-inserts on the
// app tables and makes its output loadable by the tables' owner, who is
// subject to row-level security (FORCE): the dump's `SET row_security =
// off` (refused to a role that policies apply to) gives way to binding the
// fixture's one tenant, as the store binds a transaction.
func dumpPostgres(ctx context.Context, r *pgRoles, tenant string) (string, error) {
	dbURL, err := url.Parse(r.superuserURL)
	if err != nil {
		return "", err
	}
	dbURL.Path = "/" + r.database
	args := []string{"--data-only", "--inserts", "--column-inserts", "--no-owner", "--no-privileges"}
	for _, t := range fixture.Tables {
		args = append(args, "--table=public."+t)
	}
	args = append(args, "--dbname="+dbURL.String())
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "pg_dump", args...) // #nosec G702 -- no shell: pg_dump gets the developer's database URL as one argument
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pg_dump: %w: %s", err, stderr.String())
	}
	var out strings.Builder
	out.WriteString("-- Data written by ConfigMat " + release + " on PostgreSQL, dumped by\n")
	out.WriteString("-- test/upgrade/internal/fixturegen with pg_dump --data-only --inserts\n")
	out.WriteString("-- --column-inserts (goose's table left out). Load it as the tables' owner\n")
	out.WriteString("-- into a migrated, empty database: row-level security applies to the owner\n")
	out.WriteString("-- too, so the fixture's tenant is bound instead of SET row_security = off.\n")
	bound := false
	for _, line := range strings.SplitAfter(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, `\`):
			continue // psql meta-commands of newer pg_dump versions
		case strings.TrimSpace(line) == "SET row_security = off;":
			fmt.Fprintf(&out, "SELECT pg_catalog.set_config('app.current_tenant', '%s', false);\n", tenant)
			bound = true
			continue
		}
		out.WriteString(line)
	}
	if !bound {
		return "", fmt.Errorf("pg_dump wrote no SET row_security line to replace")
	}
	return out.String(), nil
}
