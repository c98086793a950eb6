package catalog

import (
	"context"

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
	if s.deps.Reads != nil {
		s.deps.Reads.RecordRead(actor, slug, env, key.WithSecrets)
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
// transaction, references replaced, and returns it with the assets it read,
// which the cache invalidates by. References into other assets add one
// statement per level of them (CurrentOf), whatever their number.
func (r storeResolutions) Resolve(ctx context.Context, k ports.ResolutionKey) (Resolved, ports.ReadSet, error) {
	var out Resolved
	slug, env := k.Asset, k.Environment
	err := r.tx.InTenant(ctx, k.Tenant, func(ctx context.Context, st ports.TenantTx) error {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return err
		}
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
		w := newRefWorld(env, slug, &worldAsset{id: asset.ID, version: cur.Number, snap: cur.Snapshot, at: at})
		if err := w.load(ctx, st, k.Tenant, slug); err != nil {
			return err
		}
		var open secretOpener
		if k.WithSecrets {
			var tenants ports.TenantStore // only asked for when a secret is opened
			open = func(ctx context.Context, a *worldAsset, obj, key string, v domain.StoredValue) ([]byte, error) {
				if tenants == nil {
					tenants = st.Tenants()
				}
				return r.keys.Open(ctx, tenants, a.at.aad(obj, key), v.Sealed)
			}
		}
		config, err := newResolver(w, open).config(ctx, slug)
		if err != nil {
			return err
		}
		out = Resolved{Asset: slug, Environment: env, Version: cur.Number, Config: config, AssetID: asset.ID,
			Dependencies: w.dependencies(), WithSecrets: k.WithSecrets}
		return nil
	})
	if err != nil {
		return Resolved{}, ports.ReadSet{}, err
	}
	return out, out.Reads(), nil
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
