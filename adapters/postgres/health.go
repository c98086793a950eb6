package postgres

import (
	"context"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// healthTimeout bounds the health check's query.
const healthTimeout = 2 * time.Second

// canBypassRLS says whether the connected role escapes row-level security:
// it is, or may become (is a member of, directly or indirectly, inheriting or
// not), a superuser, a role with BYPASSRLS, the tables' owner (who may switch
// the policies off) or configmat_directory (whose policies show every
// tenant's keys, members and tenants). The tenants table stands for every
// tenant-owned table: the migrations give them one owner.
const canBypassRLS = `
SELECT EXISTS (
	SELECT 1 FROM pg_roles AS r
	WHERE pg_has_role(current_user, r.oid, 'MEMBER')
	  AND (r.rolsuper OR r.rolbypassrls OR r.rolname = '` + DirectoryRole + `'
		OR r.oid = (SELECT c.relowner FROM pg_class AS c WHERE c.oid = to_regclass('tenants'))))`

// CanBypassRLS reports whether the role the store is connected as can escape
// row-level security, by its own attributes or by a role it may become. The
// service's role must not: it would see every tenant's rows.
func (s *Store) CanBypassRLS(ctx context.Context) (bool, error) {
	var bypass bool
	if err := s.db.GetContext(ctx, &bypass, canBypassRLS); err != nil {
		return false, domain.Wrap(err, "could not read the connected role's attributes")
	}
	return bypass, nil
}

// Health checks the database for the detailed health endpoint. It returns
// {"status": "healthy"|"unhealthy", "latency_ms", "pool": {"open", "in_use",
// "idle", "max_open", "wait_count"}, "bypasses_rls"}; bypasses_rls is left
// out when it could not be read. It never contains a DSN or an error's text.
func (s *Store) Health(ctx context.Context) map[string]any {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	started := time.Now()
	bypass, err := s.CanBypassRLS(ctx)
	latency := time.Since(started)
	stats := s.db.Stats()
	report := map[string]any{
		"status":     "healthy",
		"latency_ms": float64(latency.Microseconds()) / 1000,
		"pool": map[string]any{
			"open":       stats.OpenConnections,
			"in_use":     stats.InUse,
			"idle":       stats.Idle,
			"max_open":   stats.MaxOpenConnections,
			"wait_count": stats.WaitCount,
		},
	}
	if err != nil {
		report["status"] = "unhealthy"
		return report
	}
	report["bypasses_rls"] = bypass
	return report
}
