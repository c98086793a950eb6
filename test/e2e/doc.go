// Package e2e holds the end-to-end tests of the configmat binary against the
// product contract (/work/shared/API.md) and the OpenAPI document: every
// route, error code and promise of the HTTP API, the administrative
// subcommands, tenant isolation and the logs, once on the embedded store and
// once on PostgreSQL.
//
// Run them with
//
//	CONFIGMAT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -count=1 ./test/e2e/
//
// Without a PostgreSQL server (and without Docker for testcontainers) the
// PostgreSQL half is skipped, unless CI=true, where it fails.
package e2e
