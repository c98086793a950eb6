package catalog

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Resolve returns the resolved configuration: for an API key (limited to its
// environment, else PERMISSION_DENIED) or a user (viewer; secrets omitted
// below editor). It makes a constant number of store calls whatever the
// number of values: the asset, the current version (and, only when the
// environment has no version yet, the environment, so that a typo answers
// ENVIRONMENT_NOT_FOUND), plus the tenant's data key on a key-cache miss.
// With Deps.Cache, authorization still runs on every call and the reads are
// served from memory until a committed change invalidates them.
func (s *Service) Resolve(ctx context.Context, actor domain.Actor, slug, env string) (Resolved, error) {
	withSecrets, err := resolveAccess(actor, env)
	if err != nil {
		return Resolved{}, err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	if err := p.Err(); err != nil {
		return Resolved{}, err
	}
	fetch := func() (Resolved, domain.AssetID, error) {
		return s.resolve(ctx, actor, slug, env, withSecrets)
	}
	if s.deps.Cache == nil {
		r, _, err := fetch()
		return r, err
	}
	key := cache.ResolvedKey{Tenant: actor.TenantID, Asset: slug, Environment: env, WithSecrets: withSecrets}
	return cache.Resolved(s.deps.Cache, key, fetch)
}

// resolve reads and decrypts the current configuration in one transaction
// and returns it with the asset's ID, which the cache invalidates by.
func (s *Service) resolve(ctx context.Context, actor domain.Actor, slug, env string, withSecrets bool) (Resolved, domain.AssetID, error) {
	var assetID domain.AssetID
	r, err := inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (Resolved, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return Resolved{}, err
		}
		assetID = asset.ID
		cur, err := st.Versions().Current(ctx, asset.ID, env)
		if err != nil {
			return Resolved{}, err
		}
		if cur.Number == 0 {
			if err := environmentExists(ctx, st, env); err != nil {
				return Resolved{}, err
			}
		}
		at := place{tenant: actor.TenantID, asset: asset.ID, env: env}
		config, err := s.resolveConfig(ctx, st, at, cur.Snapshot, withSecrets)
		if err != nil {
			return Resolved{}, err
		}
		return Resolved{Asset: slug, Environment: env, Version: cur.Number, Config: config, AssetID: asset.ID, WithSecrets: withSecrets}, nil
	})
	return r, assetID, err
}

// resolveAccess authorizes reading env's resolved configuration and says
// whether the actor sees secrets: API keys (of env, when limited) and users
// from editor up do; viewers read everything else.
func resolveAccess(actor domain.Actor, env string) (withSecrets bool, err error) {
	if actor.TenantID == "" {
		return false, domain.Errorf(domain.KindUnauthenticated, "Authentication is required.")
	}
	if actor.IsAPIKey() {
		if actor.Environment != "" && actor.Environment != env {
			return false, domain.Errorf(domain.KindPermissionDenied, "This API key is limited to another environment.").
				WithDetail("environment", env)
		}
		return true, nil
	}
	if err := actor.Require(domain.RoleViewer); err != nil {
		return false, err
	}
	return actor.Role.AtLeast(domain.RoleEditor), nil
}

// resolveConfig turns a snapshot into {object: {key: value}}, secrets
// decrypted or, without withSecrets, left out (with objects left empty).
func (s *Service) resolveConfig(ctx context.Context, st ports.TenantTx, at place, snap domain.Snapshot, withSecrets bool) (map[string]map[string]json.RawMessage, error) {
	config := make(map[string]map[string]json.RawMessage, len(snap))
	for obj, keys := range snap {
		values := make(map[string]json.RawMessage, len(keys))
		for key, v := range keys {
			switch {
			case !v.Secret:
				values[key] = v.Value
			case withSecrets:
				plaintext, err := s.open(ctx, st, at, obj, key, v)
				if err != nil {
					return nil, err
				}
				values[key] = plaintext
			}
		}
		if len(values) > 0 {
			config[obj] = values
		}
	}
	return config, nil
}
