package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/adapters/sqlite"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// backend is what the program needs of a store adapter.
type backend interface {
	ports.Transactor
	ports.ChangeFeed
	Close() error
	// Health reports the store's state for GET /health/detailed.
	Health(ctx context.Context) (map[string]any, bool)
	// SetStatementTimeout bounds each transaction (DB_STATEMENT_TIMEOUT).
	SetStatementTimeout(d time.Duration)
	// Stats returns the connection pool's statistics (GET /metrics).
	Stats() sql.DBStats
}

// rlsChecker is implemented by stores with row-level security.
type rlsChecker interface {
	CanBypassRLS(ctx context.Context) (bool, error)
}

// healthReporter is the adapters' health method.
type healthReporter interface {
	Health(ctx context.Context) map[string]any
}

// healthAdapter turns an adapter's health map into a (status, healthy) pair.
func healthAdapter(h healthReporter) func(ctx context.Context) (map[string]any, bool) {
	return func(ctx context.Context) (map[string]any, bool) {
		m := h.Health(ctx)
		return m, m["status"] == "healthy"
	}
}

type postgresBackend struct {
	*postgres.Store
}

func (b postgresBackend) Health(ctx context.Context) (map[string]any, bool) {
	return healthAdapter(b.Store)(ctx)
}

type sqliteBackend struct {
	*sqlite.Store
}

func (b sqliteBackend) Health(ctx context.Context) (map[string]any, bool) {
	return healthAdapter(b.Store)(ctx)
}

// openStore opens the store DATABASE_URL selects.
func openStore(ctx context.Context, s Settings, logger *logrus.Logger) (backend, error) {
	kind, location, err := s.Store()
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	switch kind {
	case storePostgres:
		st, err := postgres.Open(ctx, postgres.Config{
			URL:         location,
			ListenURL:   s.ListenDatabaseURL,
			PoolSize:    s.DBPoolSize,
			MaxOverflow: s.DBMaxOverflow,
			Recycle:     s.DBPoolRecycle,
		})
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %v", plain(err))
		}
		return postgresBackend{st}, nil
	default:
		st, err := sqlite.Open(ctx, location)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: could not open the embedded store: %v", plain(err))
		}
		logger.WithField("path", location).Debug("embedded store opened")
		return sqliteBackend{st}, nil
	}
}

// migrate applies pending migrations: PostgreSQL as MIGRATION_DATABASE_URL's
// owner role, the embedded store in place.
func migrate(ctx context.Context, s Settings) error {
	kind, location, err := s.Store()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if kind == storePostgres {
		if err := postgres.Migrate(ctx, s.MigrationDatabaseURL); err != nil {
			if domain.IsKind(err, domain.KindUnavailable) {
				return fmt.Errorf("MIGRATION_DATABASE_URL (default: DATABASE_URL): %v", plain(err))
			}
			return fmt.Errorf("MIGRATION_DATABASE_URL (default: DATABASE_URL) must connect as the tables' owner to apply migrations; set it, or MIGRATE_ON_START=false: %v", describe(err))
		}
		return nil
	}
	st, err := sqlite.Open(ctx, location)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: could not open the embedded store: %v", plain(err))
	}
	defer st.Close()
	return st.Migrate(ctx)
}
