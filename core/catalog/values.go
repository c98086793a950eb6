package catalog

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// GetValues returns an environment's current values, secrets without their
// value (viewer).
func (s *Service) GetValues(ctx context.Context, actor domain.Actor, slug, env string) (EnvironmentValues, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return EnvironmentValues{}, err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	if err := p.Err(); err != nil {
		return EnvironmentValues{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (EnvironmentValues, error) {
		asset, err := assetWithEnvironments(ctx, st, slug, env)
		if err != nil {
			return EnvironmentValues{}, err
		}
		cur, err := st.Versions().Current(ctx, asset.ID, env)
		if err != nil {
			return EnvironmentValues{}, err
		}
		return valuesView(slug, env, cur.Number, cur.Snapshot), nil
	})
}

// ApplyChangeSet writes a change set as the environment's next version
// (editor): unset keys are removed (each must exist), set keys are written,
// secrets sealed for their place, and objects left without keys dropped.
// VERSION_CONFLICT, and nothing written, when cs.ExpectedVersion is stale.
func (s *Service) ApplyChangeSet(ctx context.Context, actor domain.Actor, slug, env string, cs domain.ChangeSet) (EnvironmentValues, error) {
	if err := actor.Require(domain.RoleEditor); err != nil {
		return EnvironmentValues{}, err
	}
	if err := checkChangeSet(slug, env, cs); err != nil {
		return EnvironmentValues{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (EnvironmentValues, error) {
		target, err := lockedWriteTarget(ctx, st, slug, env, cs.ExpectedVersion)
		if err != nil {
			return EnvironmentValues{}, err
		}
		asset, cur := target.Asset, target.Current
		snap := cur.Snapshot.Clone()
		if err := applyUnset(snap, cs.Unset); err != nil {
			return EnvironmentValues{}, err
		}
		at := place{tenant: actor.TenantID, asset: asset.ID, env: env}
		if err := s.applySet(ctx, st, at, snap, cs.Set); err != nil {
			return EnvironmentValues{}, err
		}
		if err := s.checkWrite(ctx, st, slug, env, at, snap, true, marksOf(target)); err != nil {
			return EnvironmentValues{}, err
		}
		v := domain.Version{
			TenantID:    actor.TenantID,
			AssetID:     asset.ID,
			Environment: env,
			Number:      cur.Number + 1,
			CreatedAt:   s.now(),
			CreatedBy:   actor.String(),
			Message:     cs.Message,
			Source:      domain.SourceEdit,
			Snapshot:    snap,
		}
		details := valuesChanged{Asset: slug, Environment: env, Version: v.Number, Set: setPaths(cs.Set), Unset: unsetPaths(cs.Unset)}
		if err := s.commitVersion(ctx, st, actor, slug, v, domain.ActionValuesChanged, details); err != nil {
			return EnvironmentValues{}, err
		}
		return valuesView(slug, env, v.Number, snap), nil
	})
}
