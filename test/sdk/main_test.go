package sdke2e

import (
	"testing"

	"github.com/configmat/configmat/test/pgtest"
)

// TestMain lets pgtest create the package's PostgreSQL database and drop it
// after the tests.
func TestMain(m *testing.M) { pgtest.Main(m) }
