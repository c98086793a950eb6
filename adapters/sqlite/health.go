package sqlite

import (
	"context"

	"github.com/configmat/configmat/core/domain"
)

// Ping checks that the database answers a query; KindUnavailable otherwise.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.probe.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return domain.StoreViolation(domain.KindUnavailable, err)
	}
	return nil
}

// Health returns the database check of the detailed health report:
// {"status": "healthy"|"unhealthy", "driver": "sqlite"}. It never contains a
// path, a DSN or an error text.
func (s *Store) Health(ctx context.Context) map[string]any {
	status := "healthy"
	if s.Ping(ctx) != nil {
		status = "unhealthy"
	}
	return map[string]any{"status": status, "driver": driverName}
}
