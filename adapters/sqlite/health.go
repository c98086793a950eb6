package sqlite

import "context"

// Health returns the database check of the detailed health report:
// {"status": "healthy"|"unhealthy", "driver": "sqlite"}, from a query on the
// read-only pool, which does not queue behind a long transaction. It never
// contains a path, a DSN or an error text.
func (s *Store) Health(ctx context.Context) map[string]any {
	status := "healthy"
	var one int
	if err := s.probe.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		status = "unhealthy"
	}
	return map[string]any{"status": status, "driver": driverName}
}
