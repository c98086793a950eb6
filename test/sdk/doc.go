// Package sdke2e holds the end-to-end tests of the Go SDK (package sdk)
// against the real configmat binary, on both stores: Watch across a server
// that is killed and restarted on the same address, Get from the fallback
// file while the server is down, the spread of many watchers' reconnections
// after a restart (measured by a TCP proxy in front of the server), long
// polling behind a proxy that refuses streams, and the contract's error
// codes.
//
// Run them with
//
//	CONFIGMAT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -count=1 ./test/sdk/
//
// Without a PostgreSQL server (and without Docker for testcontainers) the
// PostgreSQL half is skipped, unless CI=true, where it fails.
package sdke2e
