package bench

import (
	"testing"

	"github.com/configmat/configmat/test/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
