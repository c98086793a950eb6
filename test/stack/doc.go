// Package stack runs docker-compose.yml's production stack for tests,
// without a container engine: it reads the compose file (so that what is
// tested is what ships), turns a service's environment into the test's
// (every URL pointed at the process the test runs in its place), and starts
// PgBouncer with the pgbouncer service's settings and a private PostgreSQL
// cluster that a test may stop and restart. Both run as an unprivileged OS
// user, which the package creates when the tests run as root (PostgreSQL
// and PgBouncer refuse to run as root).
//
// A program the package needs and cannot find skips the test, unless
// CI=true, where it fails.
package stack
