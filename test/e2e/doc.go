// Package e2e holds the end-to-end tests of the configmat binary against the
// product contract as this repository states it: the OpenAPI document
// (api/openapi.json), the error codes (docs/errors.md) and the README. They
// cover every route, error code and promise of the HTTP API, the
// administrative subcommands, tenant isolation and the logs, once on the
// embedded store and once on PostgreSQL. Comments citing "API.md" mean the
// product contract's prose, which those documents carry into the repository.
//
// Run them with
//
//	CONFIGMAT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -count=1 ./test/e2e/
//
// Without a PostgreSQL server (and without Docker for testcontainers) the
// PostgreSQL half is skipped, unless CI=true, where it fails.
package e2e
