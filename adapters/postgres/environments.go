package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/jmoiron/sqlx"
)

// environmentStore holds the bound tenant's environments.
type environmentStore struct {
	tx     *sqlx.Tx
	tenant domain.TenantID
}

var _ ports.EnvironmentStore = (*environmentStore)(nil)

// environmentRow is a row of environments.
type environmentRow struct {
	Name      string    `db:"name"`
	Position  int       `db:"position"`
	CreatedAt time.Time `db:"created_at"`
}

func (r environmentRow) environment() domain.Environment {
	return domain.Environment{Name: r.Name, Position: r.Position, CreatedAt: r.CreatedAt.UTC()}
}

// Create inserts an environment; ENVIRONMENT_ALREADY_EXISTS when the name is
// taken, CONFLICT when the position is.
func (s environmentStore) Create(ctx context.Context, e domain.Environment) error {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO environments (tenant_id, name, position, created_at) VALUES ($1, $2, $3, $4)`,
		s.tenant, e.Name, e.Position, e.CreatedAt)
	return translate(err, "could not create the environment")
}

// List returns all environments by position.
func (s environmentStore) List(ctx context.Context) ([]domain.Environment, error) {
	var rows []environmentRow
	if err := s.tx.SelectContext(ctx, &rows,
		`SELECT name, position, created_at FROM environments WHERE tenant_id = $1 ORDER BY position`, s.tenant); err != nil {
		return nil, translate(err, "could not list the environments")
	}
	out := make([]domain.Environment, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.environment())
	}
	return out, nil
}

// Get returns one environment; ENVIRONMENT_NOT_FOUND.
func (s environmentStore) Get(ctx context.Context, name string) (domain.Environment, error) {
	var r environmentRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT name, position, created_at FROM environments WHERE tenant_id = $1 AND name = $2`, s.tenant, name)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Environment{}, notFound(domain.KindEnvironmentNotFound, "The environment does not exist.")
	}
	if err != nil {
		return domain.Environment{}, translate(err, "could not read the environment")
	}
	return r.environment(), nil
}
