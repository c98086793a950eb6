// Command fixturegen regenerates the upgrade test's fixtures
// (test/upgrade/testdata) with the real release that came before the shared
// SQL store. It runs that release's binary on each store as an operator
// would, drives its HTTP API through a scenario that leaves rows in every
// table (fixturegen's scenario.go), records the API's answers in
// <store>/expected.json, and dumps the data, not the schema, as SQL text in
// <store>/data.sql.
//
// Build the old release first, then run fixturegen from the module root:
//
//	git worktree add /tmp/old-release 912b26f
//	(cd /tmp/old-release && go build -o /tmp/configmat-old ./cmd/configmat)
//	CONFIGMAT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go run ./test/upgrade/internal/fixturegen -old /tmp/configmat-old
//
// The PostgreSQL part needs a superuser URL (CONFIGMAT_TEST_DATABASE_URL or
// -pg) and pg_dump on PATH; it creates a database and two roles of its own
// and drops them when done. Every run makes new IDs, keys and times, so the
// fixtures change wholesale; the test reads whatever they hold.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// release is the commit of the old release the fixtures come from.
const release = "912b26f"

// encryptionKey is the old release's ENCRYPTION_KEY for both stores; the
// fixtures record it, as the test needs it to open the secrets.
const encryptionKey = "5f2b7c0e9a14d3386b1e4f7a2c9d0b5e8f3a6c1d4e7b0a2958c3f6e1d4a7b0c3"

func main() {
	oldBinary := flag.String("old", "", "the old release's configmat binary (required)")
	out := flag.String("out", filepath.Join("test", "upgrade", "testdata"), "the fixtures' folder")
	store := flag.String("store", "both", "sqlite, postgres or both")
	pgURL := flag.String("pg", os.Getenv("CONFIGMAT_TEST_DATABASE_URL"), "a PostgreSQL superuser URL")
	flag.Parse()
	if *oldBinary == "" {
		fmt.Fprintln(os.Stderr, "fixturegen: -old is required (the binary built from commit "+release+")")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *oldBinary, *out, *store, *pgURL); err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
}

// run generates the chosen stores' fixtures.
func run(ctx context.Context, oldBinary, out, store, pgURL string) error {
	switch store {
	case "sqlite", "postgres", "both":
	default:
		return fmt.Errorf("-store must be sqlite, postgres or both, not %q", store)
	}
	if store != "postgres" {
		if err := generateSQLite(ctx, oldBinary, filepath.Join(out, "sqlite")); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	if store != "sqlite" {
		if pgURL == "" {
			return fmt.Errorf("postgres: set CONFIGMAT_TEST_DATABASE_URL or -pg to a superuser URL")
		}
		if err := generatePostgres(ctx, oldBinary, pgURL, filepath.Join(out, "postgres")); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	return nil
}
