package sqlite

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var _ ports.EnvironmentStore = environmentStore{}

// environmentStore holds the bound tenant's environments.
type environmentStore struct{ scope }

// environmentRow is a row of environments.
type environmentRow struct {
	Name      string    `db:"name"`
	Position  int       `db:"position"`
	CreatedAt timestamp `db:"created_at"`
}

func (r environmentRow) environment() domain.Environment {
	return domain.Environment{Name: r.Name, Position: r.Position, CreatedAt: r.CreatedAt.Time}
}

// Create inserts an environment; KindEnvironmentExists when the name is
// taken, KindConflict when the position is.
func (s environmentStore) Create(ctx context.Context, e domain.Environment) error {
	_, err := s.tx.ExecContext(ctx,
		`INSERT INTO environments (tenant_id, name, position, created_at) VALUES (?, ?, ?, ?)`,
		string(s.tenant), e.Name, e.Position, stamp(e.CreatedAt))
	switch {
	case isPrimaryKey(err):
		return domain.Errorf(domain.KindEnvironmentExists, "The environment already exists.").WithDetail("environment", e.Name)
	case isUnique(err):
		return domain.Errorf(domain.KindConflict, "Another environment has this position.").WithDetail("position", e.Position)
	case isForeignKey(err):
		return domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	return domain.Wrap(err, "could not create an environment")
}

// List returns all environments in promotion order (by position).
func (s environmentStore) List(ctx context.Context) ([]domain.Environment, error) {
	var rows []environmentRow
	err := s.tx.SelectContext(ctx, &rows,
		`SELECT name, position, created_at FROM environments WHERE tenant_id = ? ORDER BY position, name`, string(s.tenant))
	if err != nil {
		return nil, domain.Wrap(err, "could not list environments")
	}
	out := make([]domain.Environment, len(rows))
	for i, r := range rows {
		out[i] = r.environment()
	}
	return out, nil
}

// Get returns one environment; KindEnvironmentNotFound.
func (s environmentStore) Get(ctx context.Context, name string) (domain.Environment, error) {
	var r environmentRow
	err := s.tx.GetContext(ctx, &r,
		`SELECT name, position, created_at FROM environments WHERE tenant_id = ? AND name = ?`, string(s.tenant), name)
	switch {
	case isNoRows(err):
		return domain.Environment{}, errEnvironmentNotFound(name)
	case err != nil:
		return domain.Environment{}, domain.Wrap(err, "could not read an environment")
	}
	return r.environment(), nil
}

// errEnvironmentNotFound is the error of a missing environment.
func errEnvironmentNotFound(name string) error {
	return domain.Errorf(domain.KindEnvironmentNotFound, "The environment does not exist.").WithDetail("environment", name)
}
