// Package bench measures ConfigMat's stores, core services and HTTP read
// path. `make bench` runs its benchmarks and BENCHMARKS.md at the repository
// root records their results on a reference machine.
//
// The store benchmarks run side by side on PostgreSQL (a fresh database of
// the pgtest harness, connected as the application role through pgtest's
// statement-counting driver) and on the embedded store. The HTTP benchmarks
// serve the resolved-config route over real TCP connections on 127.0.0.1,
// beside a bare net/http handler that answers the same bytes.
//
// PostgreSQL is the server named by CONFIGMAT_TEST_DATABASE_URL and Redis the
// one at CONFIGMAT_TEST_REDIS_URL (default redis://127.0.0.1:6379/0). A
// benchmark whose server is unavailable is skipped, except with CI=true,
// where it fails.
package bench
