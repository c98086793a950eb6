package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries asserts that the core depends on no adapter, database
// driver, HTTP, logging or rate-limiting package: other Go programs import it.
func TestImportBoundaries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/configmat/configmat/core/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/configmat/configmat/adapters",
		"github.com/configmat/configmat/cmd",
		// database/sql/driver is allowed: github.com/google/uuid implements its
		// Valuer interface; it holds no driver.
		"database/sql",
		"github.com/lib/pq",
		"modernc.org/sqlite",
		"github.com/jmoiron/sqlx",
		"github.com/gorilla/",
		"github.com/sirupsen/logrus",
		"github.com/ulule/limiter",
		"github.com/redis/",
		"net/http",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned too few packages to be trusted: %v", deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == "database/sql/driver" {
				continue
			}
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("core depends on %s (forbidden: %s)", dep, f)
			}
		}
	}
}
