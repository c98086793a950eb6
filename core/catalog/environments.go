package catalog

import (
	"context"
	"fmt"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ListEnvironments returns the tenant's environments in promotion order (viewer).
func (s *Service) ListEnvironments(ctx context.Context, actor domain.Actor) ([]domain.Environment, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return nil, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) ([]domain.Environment, error) {
		envs, err := st.Environments().List(ctx)
		if err != nil {
			return nil, err
		}
		if envs == nil {
			envs = []domain.Environment{}
		}
		return envs, nil
	})
}

// CreateEnvironment appends an environment at the end of the promotion order
// (admin); ENVIRONMENT_ALREADY_EXISTS for a taken name, VALIDATION_ERROR when
// the tenant already has domain.MaxEnvironments.
func (s *Service) CreateEnvironment(ctx context.Context, actor domain.Actor, name string) (domain.Environment, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return domain.Environment{}, err
	}
	p := domain.Problems{}
	domain.CheckEnvironmentName(p, "name", name)
	if err := p.Err(); err != nil {
		return domain.Environment{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (domain.Environment, error) {
		// The tenant's chain head, which this change's audit entry locks
		// anyway, is taken first: concurrent creations then queue here and
		// each reads the positions the others committed.
		if _, _, err := st.Audit().LockHead(ctx); err != nil {
			return domain.Environment{}, err
		}
		envs, err := st.Environments().List(ctx)
		if err != nil {
			return domain.Environment{}, err
		}
		position, err := nextPosition(envs, name)
		if err != nil {
			return domain.Environment{}, err
		}
		env := domain.Environment{Name: name, Position: position, CreatedAt: s.now()}
		if err := st.Environments().Create(ctx, env); err != nil {
			return domain.Environment{}, err
		}
		details := environmentCreated{Name: name, Position: position}
		if err := s.deps.Audit.Append(ctx, st.Audit(), actor, domain.ActionEnvironmentCreated, environmentTarget(name), details); err != nil {
			return domain.Environment{}, err
		}
		return env, nil
	})
}

// nextPosition returns the position after the last of envs, refusing a
// taken name and a tenant at its environment limit.
func nextPosition(envs []domain.Environment, name string) (int, error) {
	last := 0
	for _, e := range envs {
		if e.Name == name {
			return 0, domain.Errorf(domain.KindEnvironmentExists, "An environment with this name already exists.").
				WithDetail("environment", name)
		}
		last = max(last, e.Position)
	}
	if len(envs) >= domain.MaxEnvironments {
		p := domain.Problems{}
		p.Add("name", fmt.Sprintf("cannot be added: a tenant has at most %d environments", domain.MaxEnvironments))
		return 0, p.Err()
	}
	return last + 1, nil
}
