// Package upgrade_test proves that databases written by the release before
// the shared SQL store (commit 912b26f) keep working with the new code.
//
// The fixtures in testdata/<store>/ were made with that release's own binary
// (see internal/fixturegen): data.sql is the data it wrote, expected.json what
// its HTTP API answered. For each store the test builds a database as that
// release left it (SQLite: migration 00001 only; PostgreSQL: the unchanged
// migrations), loads the data, lets the new code upgrade it, and reads
// every value, secret, version and audit entry back through the new core,
// comparing with the old answers as JSON values whose numbers keep their
// spelling (1.50 stays 1.50). It then writes one change and checks that the
// audit chain, old entries and new, still verifies.
package upgrade_test

import (
	"testing"

	"github.com/configmat/configmat/test/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
