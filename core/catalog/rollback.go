package catalog

import (
	"context"
	"fmt"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Rollback makes the environment's next version hold exactly the values of
// an earlier version (editor); rolling back to the current version is allowed
// and repeats it. Sealed secrets are copied as they are: they stay bound to
// the same place.
func (s *Service) Rollback(ctx context.Context, actor domain.Actor, slug, env string, version int) (RollbackResult, error) {
	if err := actor.Require(domain.RoleEditor); err != nil {
		return RollbackResult{}, err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	checkVersionNumber(p, "version", version)
	if err := p.Err(); err != nil {
		return RollbackResult{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (RollbackResult, error) {
		target, err := lockedWriteTarget(ctx, st, slug, env, nil)
		if err != nil {
			return RollbackResult{}, err
		}
		asset, cur := target.Asset, target.Current
		old := cur
		if version != cur.Number {
			if old, err = versionByNumber(ctx, st, asset.ID, env, version); err != nil {
				return RollbackResult{}, err
			}
		}
		if err := s.checkWrite(ctx, st, slug, env, place{tenant: actor.TenantID, asset: asset.ID, env: env}, old.Snapshot, true, marksOf(target)); err != nil {
			return RollbackResult{}, err
		}
		v := domain.Version{
			TenantID:    actor.TenantID,
			AssetID:     asset.ID,
			Environment: env,
			Number:      cur.Number + 1,
			CreatedAt:   s.now(),
			CreatedBy:   actor.String(),
			Message:     fmt.Sprintf("rolled back to version %d", version),
			Source:      domain.SourceRollback,
			Snapshot:    old.Snapshot.Clone(),
		}
		details := valuesRolledBack{Asset: slug, Environment: env, Version: v.Number, RestoredFrom: version}
		if err := s.commitVersion(ctx, st, actor, slug, v, domain.ActionRolledBack, details); err != nil {
			return RollbackResult{}, err
		}
		return RollbackResult{Environment: env, Version: v.Number, RestoredFrom: version}, nil
	})
}
