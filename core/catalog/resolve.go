package catalog

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// Resolve returns the resolved configuration: for an API key (limited to its
// environment, else PERMISSION_DENIED) or a user (viewer; secrets omitted
// below editor). Authorization runs on every call, then Deps.Resolutions
// answers: over the store it makes a constant number of store calls whatever
// the number of values (see NewResolutions); core.New may have wrapped it
// with the read cache.
func (s *Service) Resolve(ctx context.Context, actor domain.Actor, slug, env string) (Resolved, error) {
	key, err := s.Access(actor, slug, env)
	if err != nil {
		return Resolved{}, err
	}
	r, _, err := s.deps.Resolutions.Resolve(ctx, key)
	if err != nil {
		return Resolved{}, err
	}
	return r, nil
}

// Access authorizes actor to read the resolved configuration of slug in env
// (the rules of Resolve) and returns the resolution it may read, which names
// whether it sees secrets. It reads no store: what does not exist is found
// when the key is resolved.
func (s *Service) Access(actor domain.Actor, slug, env string) (ports.ResolutionKey, error) {
	withSecrets, err := resolveAccess(actor, env)
	if err != nil {
		return ports.ResolutionKey{}, err
	}
	p := domain.Problems{}
	checkTarget(p, slug, "environment", env)
	if err := p.Err(); err != nil {
		return ports.ResolutionKey{}, err
	}
	return ports.ResolutionKey{Tenant: actor.TenantID, Asset: slug, Environment: env, WithSecrets: withSecrets}, nil
}

// NewResolutions returns the resolution source over the store, which
// decrypts secrets with deps.Keys; it uses deps.Tx and deps.Keys. Each
// resolution is one transaction of a constant number of store calls: the
// asset, the current version (and, only when the environment has no version
// yet, the environment, so that a typo answers ENVIRONMENT_NOT_FOUND), plus
// the tenant's data key on a key-cache miss.
func NewResolutions(deps Deps) ports.ResolutionSource[Resolved] {
	return storeResolutions{tx: deps.Tx, keys: deps.Keys}
}

// storeResolutions reads and decrypts resolutions from the store.
type storeResolutions struct {
	tx   ports.Transactor
	keys *keys.Manager
}

// Resolve reads and decrypts the current configuration of k in one
// transaction and returns it with the asset's ID, which the cache
// invalidates by.
func (r storeResolutions) Resolve(ctx context.Context, k ports.ResolutionKey) (Resolved, domain.AssetID, error) {
	var (
		assetID domain.AssetID
		out     Resolved
	)
	slug, env := k.Asset, k.Environment
	err := r.tx.InTenant(ctx, k.Tenant, func(ctx context.Context, st ports.TenantTx) error {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return err
		}
		assetID = asset.ID
		cur, err := st.Versions().Current(ctx, asset.ID, env)
		if err != nil {
			return err
		}
		if cur.Number == 0 {
			if err := environmentExists(ctx, st, env); err != nil {
				return err
			}
		}
		at := place{tenant: k.Tenant, asset: asset.ID, env: env}
		config, err := resolveConfig(ctx, r.keys, st, at, cur.Snapshot, k.WithSecrets)
		if err != nil {
			return err
		}
		out = Resolved{Asset: slug, Environment: env, Version: cur.Number, Config: config, AssetID: asset.ID, WithSecrets: k.WithSecrets}
		return nil
	})
	if err != nil {
		return Resolved{}, "", err
	}
	return out, assetID, nil
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
// decrypted with km or, without withSecrets, left out (with objects left
// empty).
func resolveConfig(ctx context.Context, km *keys.Manager, st ports.TenantTx, at place, snap domain.Snapshot, withSecrets bool) (map[string]map[string]json.RawMessage, error) {
	var tenants ports.TenantStore // only asked for when a secret is opened
	config := make(map[string]map[string]json.RawMessage, len(snap))
	for obj, stored := range snap {
		values := make(map[string]json.RawMessage, len(stored))
		for key, v := range stored {
			switch {
			case !v.Secret:
				values[key] = v.Value
			case withSecrets:
				if tenants == nil {
					tenants = st.Tenants()
				}
				plaintext, err := km.Open(ctx, tenants, at.aad(obj, key), v.Sealed)
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
