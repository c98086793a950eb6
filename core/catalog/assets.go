package catalog

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ListAssets pages through the tenant's assets by slug (viewer); the limit
// defaults to domain.DefaultPageSize and must be 1 to domain.MaxPageSize.
func (s *Service) ListAssets(ctx context.Context, actor domain.Actor, page domain.Page) ([]domain.Asset, string, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return nil, "", err
	}
	p := domain.Problems{}
	page = checkPage(p, page)
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	type listing struct {
		assets []domain.Asset
		next   string
	}
	out, err := inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (listing, error) {
		assets, next, err := st.Assets().List(ctx, page)
		return listing{assets: assets, next: next}, err
	})
	if err != nil {
		return nil, "", err
	}
	if out.assets == nil {
		out.assets = []domain.Asset{}
	}
	return out.assets, out.next, nil
}

// CreateAsset creates an asset (editor); ASSET_ALREADY_EXISTS for a taken slug.
func (s *Service) CreateAsset(ctx context.Context, actor domain.Actor, in AssetInput) (domain.Asset, error) {
	if err := actor.Require(domain.RoleEditor); err != nil {
		return domain.Asset{}, err
	}
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", in.Slug)
	domain.CheckText(p, "name", in.Name, domain.MaxNameLength, true)
	domain.CheckText(p, "description", in.Description, domain.MaxDescriptionLength, false)
	if err := p.Err(); err != nil {
		return domain.Asset{}, err
	}
	id, err := s.newAssetID()
	if err != nil {
		return domain.Asset{}, err
	}
	now := s.now()
	asset := domain.Asset{ID: id, Slug: in.Slug, Name: in.Name, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (domain.Asset, error) {
		if err := st.Assets().Create(ctx, asset); err != nil {
			if domain.IsKind(err, domain.KindAssetExists) {
				return domain.Asset{}, &domain.Error{
					Kind:    domain.KindAssetExists,
					Message: "An asset with this slug already exists.",
					Details: map[string]any{"asset_slug": in.Slug},
					Cause:   err,
				}
			}
			return domain.Asset{}, err
		}
		details := assetCreated{ID: id, Slug: asset.Slug, Name: asset.Name}
		if err := s.deps.Audit.Append(ctx, st.Audit(), actor, domain.ActionAssetCreated, assetTarget(asset.Slug), details); err != nil {
			return domain.Asset{}, err
		}
		return asset, nil
	})
}

// GetAsset returns an asset with the current version number of every
// environment of the tenant, 0 where it has none yet (viewer).
func (s *Service) GetAsset(ctx context.Context, actor domain.Actor, slug string) (AssetDetail, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return AssetDetail{}, err
	}
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	if err := p.Err(); err != nil {
		return AssetDetail{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (AssetDetail, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return AssetDetail{}, err
		}
		envs, err := st.Environments().List(ctx)
		if err != nil {
			return AssetDetail{}, err
		}
		heads, err := st.Versions().Heads(ctx, asset.ID)
		if err != nil {
			return AssetDetail{}, err
		}
		versions := make(map[string]int, len(envs))
		for _, e := range envs {
			versions[e.Name] = heads[e.Name]
		}
		return AssetDetail{Asset: asset, Versions: versions}, nil
	})
}

// UpdateAsset changes an asset's name or description (editor); at least one
// of them must be given.
func (s *Service) UpdateAsset(ctx context.Context, actor domain.Actor, slug string, patch AssetPatch) (domain.Asset, error) {
	if err := actor.Require(domain.RoleEditor); err != nil {
		return domain.Asset{}, err
	}
	if err := checkAssetPatch(slug, patch); err != nil {
		return domain.Asset{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (domain.Asset, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return domain.Asset{}, err
		}
		var changed []string
		if patch.Description != nil && *patch.Description != asset.Description {
			asset.Description = *patch.Description
			changed = append(changed, "description")
		}
		if patch.Name != nil && *patch.Name != asset.Name {
			asset.Name = *patch.Name
			changed = append(changed, "name")
		}
		if len(changed) == 0 {
			return asset, nil // nothing changes: no write, no audit entry
		}
		asset.UpdatedAt = s.now()
		if err := st.Assets().Update(ctx, asset); err != nil {
			return domain.Asset{}, err
		}
		details := assetUpdated{Slug: slug, Changed: changed}
		if err := s.deps.Audit.Append(ctx, st.Audit(), actor, domain.ActionAssetUpdated, assetTarget(slug), details); err != nil {
			return domain.Asset{}, err
		}
		return asset, nil
	})
}

// checkAssetPatch validates an asset update.
func checkAssetPatch(slug string, patch AssetPatch) error {
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	if patch.Name == nil && patch.Description == nil {
		p.Add("name", "name or description is required")
	}
	if patch.Name != nil {
		domain.CheckText(p, "name", *patch.Name, domain.MaxNameLength, true)
	}
	if patch.Description != nil {
		domain.CheckText(p, "description", *patch.Description, domain.MaxDescriptionLength, false)
	}
	return p.Err()
}

// DeleteAsset deletes an asset with all its versions (admin) and tells caches
// that all its environments changed.
func (s *Service) DeleteAsset(ctx context.Context, actor domain.Actor, slug string) error {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return err
	}
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	if err := p.Err(); err != nil {
		return err
	}
	_, err := inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (struct{}, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return struct{}{}, err
		}
		if err := st.Assets().LockForDelete(ctx, asset.ID); err != nil {
			return struct{}{}, namedAssetError(slug, err)
		}
		if err := checkNotReferenced(ctx, st, slug); err != nil {
			return struct{}{}, err
		}
		if err := st.Assets().Delete(ctx, asset.ID); err != nil {
			return struct{}{}, err
		}
		if err := st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeValues, TenantID: actor.TenantID, AssetID: asset.ID}); err != nil {
			return struct{}{}, err
		}
		details := assetDeleted{ID: asset.ID, Slug: slug}
		return struct{}{}, s.deps.Audit.Append(ctx, st.Audit(), actor, domain.ActionAssetDeleted, assetTarget(slug), details)
	})
	return err
}

// checkNotReferenced refuses, with REFERENCE_ERROR (reason missing), the
// deletion of an asset that a current version of another asset references,
// in any environment.
func checkNotReferenced(ctx context.Context, st ports.TenantTx, slug string) error {
	found, err := st.Versions().Referencing(ctx, "", slug)
	if err != nil {
		return err
	}
	slices.SortFunc(found, func(a, b domain.AssetVersion) int {
		return strings.Compare(a.Slug+"/"+a.Environment, b.Slug+"/"+b.Environment)
	})
	for _, av := range found {
		if av.Slug == slug {
			continue
		}
		for _, obj := range slices.Sorted(maps.Keys(av.Snapshot)) {
			for _, key := range slices.Sorted(maps.Keys(av.Snapshot[obj])) {
				for _, r := range refsOf(av.Snapshot[obj][key]) {
					if r.Asset == slug {
						e := &refError{at: valueRef{asset: av.Slug, object: obj, key: key}, ref: r, reason: reasonMissing}
						return e.err(av.Environment, slug)
					}
				}
			}
		}
	}
	return nil
}
