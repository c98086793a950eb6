// Package pgtest gives a test package a fresh PostgreSQL database migrated as
// ConfigMat's owner role, and an application role to test through.
//
// A test package installs the harness in TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test calls New(t). The server is the one named by
// CONFIGMAT_TEST_DATABASE_URL (a superuser URL) when it is set, otherwise
// PostgreSQL started with testcontainers. When neither is available the test
// is skipped with a one-line message, except when CI=true, where it fails.
//
// The first New of a process sets the cluster up as the PostgreSQL adapter's
// README tells a DBA to: the shared NOLOGIN group roles configmat_app and
// configmat_directory (created once, never dropped), then a database
// configmat_test_<random>, its owner role (a member of configmat_directory,
// with neither SUPERUSER, BYPASSRLS, CREATEROLE nor CREATEDB) and an
// application LOGIN role that has neither SUPERUSER nor BYPASSRLS, owns
// nothing and is a member of configmat_app only; it runs the migrations as
// the owner. Roles are global to the cluster, so their names are random per
// package too. Main drops the database and both roles after the package's
// tests.
package pgtest
