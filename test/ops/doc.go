// Package ops holds operational end-to-end tests of the real configmat
// binary: rate limits (in process and shared through Redis, with Redis
// failing), graceful shutdown, persistence of the embedded store, startup
// refusals and messages, two server processes on one PostgreSQL database,
// the PostgreSQL role safety check, the change feed's self-check, how
// failures answer (503, 499, health "unknown"), docker-compose.yml's stack
// run as the file says (PgBouncer in transaction mode; see test/stack), and
// every fault under writers and readers (server kill -9, PostgreSQL
// restart, PgBouncer and Redis kills, change feed cut, embedded store kill
// -9). The package has only tests; run it with
//
//	CONFIGMAT_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	CONFIGMAT_TEST_REDIS_URL='redis://127.0.0.1:6379/0' \
//	go test -race -count=1 ./test/ops/
//
// Without a PostgreSQL or Redis server the tests that need one skip with one
// line naming the variable, unless CI=true, where they fail.
package ops
