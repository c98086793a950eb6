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
// The first New of a process creates a database configmat_test_<random>, an
// owner role (BYPASSRLS, as the directory functions need) and an application
// LOGIN role that has neither SUPERUSER nor BYPASSRLS, owns nothing and is a
// member of configmat_app; it runs the migrations as the owner. Roles are
// global to the cluster, so their names are random per package too. Main
// drops the database and both roles after the package's tests.
package pgtest
