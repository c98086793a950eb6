package catalog

import (
	"context"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// inTenant runs fn in one transaction bound to the actor's tenant and returns
// fn's result once the transaction has committed.
func inTenant[T any](ctx context.Context, s *Service, actor domain.Actor, fn func(context.Context, ports.TenantTx) (T, error)) (T, error) {
	var out T
	err := s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		var err error
		out, err = fn(ctx, st)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// now is the service's current time in UTC.
func (s *Service) now() time.Time { return s.deps.Clock.Now().UTC().Truncate(time.Microsecond) }
