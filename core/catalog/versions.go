package catalog

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ListVersions pages through an environment's versions, newest first
// (viewer); the limit defaults to domain.DefaultPageSize and must be 1 to
// domain.MaxPageSize.
func (s *Service) ListVersions(ctx context.Context, actor domain.Actor, slug, env string, page domain.Page) ([]VersionInfo, string, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return nil, "", err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	page = checkPage(p, page)
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	type listing struct {
		versions []VersionInfo
		next     string
	}
	out, err := inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (listing, error) {
		asset, err := assetWithEnvironments(ctx, st, slug, env)
		if err != nil {
			return listing{}, err
		}
		versions, next, err := st.Versions().List(ctx, asset.ID, env, page)
		if err != nil {
			return listing{}, err
		}
		infos := make([]VersionInfo, 0, len(versions))
		for _, v := range versions {
			infos = append(infos, versionInfo(v))
		}
		return listing{versions: infos, next: next}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return out.versions, out.next, nil
}

// GetVersion returns the values of one version, secrets without their value
// (viewer); VERSION_NOT_FOUND when the environment has no such version.
func (s *Service) GetVersion(ctx context.Context, actor domain.Actor, slug, env string, number int) (EnvironmentValues, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return EnvironmentValues{}, err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	checkVersionNumber(p, "version", number)
	if err := p.Err(); err != nil {
		return EnvironmentValues{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (EnvironmentValues, error) {
		asset, err := assetWithEnvironments(ctx, st, slug, env)
		if err != nil {
			return EnvironmentValues{}, err
		}
		v, err := versionByNumber(ctx, st, asset.ID, env, number)
		if err != nil {
			return EnvironmentValues{}, err
		}
		return valuesView(slug, env, v.Number, v.Snapshot), nil
	})
}
