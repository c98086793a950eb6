// Package integration runs ConfigMat's core services against the PostgreSQL
// adapter on a real server, connected as the application role (no
// SUPERUSER, no BYPASSRLS, owns nothing). These tests are the acceptance of
// the PostgreSQL store: tenant isolation by row-level security, atomicity
// under injected failures, concurrency, audit tamper detection, statement
// counts and pool settings.
package integration

import (
	"testing"

	"github.com/configmat/configmat/test/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
