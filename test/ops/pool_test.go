package ops

import (
	"testing"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// TestPoolSettingsReachTheDatabasePool starts the binary with pool settings
// in its environment and reads them back from the pool statistics that
// GET /health/detailed reports: DB_POOL_SIZE + DB_MAX_OVERFLOW connections
// at most.
func TestPoolSettingsReachTheDatabasePool(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	tests := []struct {
		size, overflow string
		wantMaxOpen    float64
	}{
		{"3", "2", 5},
		{"7", "0", 7},
	}
	for _, tt := range tests {
		t.Run("DB_POOL_SIZE="+tt.size+",DB_MAX_OVERFLOW="+tt.overflow, func(t *testing.T) {
			srv := startServer(t, e2etest.Options{Env: postgresEnv(db, newEncryptionKey(t), map[string]string{
				"DB_POOL_SIZE": tt.size, "DB_MAX_OVERFLOW": tt.overflow, "DB_POOL_RECYCLE": "60",
			})})
			h := detailedHealth(t, srv)
			pool, ok := h.Checks["database"]["pool"].(map[string]any)
			if !ok {
				t.Fatalf("the database check reports no pool: %+v", h.Checks["database"])
			}
			if pool["max_open"] != tt.wantMaxOpen {
				t.Errorf("max_open = %v, want %v (pool %v)", pool["max_open"], tt.wantMaxOpen, pool)
			}
		})
	}
}
