package catalog

import (
	"context"
	"encoding/json"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/schema"
	"github.com/configmat/configmat/ports"
)

// AssetSchema is an asset's schema as shown to users.
type AssetSchema struct {
	Asset     string
	Schema    json.RawMessage
	UpdatedAt time.Time
}

// GetSchema returns an asset's schema (viewer); SCHEMA_NOT_FOUND when it has
// none.
func (s *Service) GetSchema(ctx context.Context, actor domain.Actor, slug string) (AssetSchema, error) {
	if err := actor.Require(domain.RoleViewer); err != nil {
		return AssetSchema{}, err
	}
	if err := checkSlug(slug); err != nil {
		return AssetSchema{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (AssetSchema, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return AssetSchema{}, err
		}
		sch, err := st.Schemas().Get(ctx, asset.ID)
		if err != nil {
			return AssetSchema{}, namedSchemaError(slug, err)
		}
		return schemaView(slug, sch)
	})
}

// PutSchema sets an asset's schema (admin): VALIDATION_ERROR when doc is not
// a valid JSON Schema (draft 2020-12), SCHEMA_VIOLATION naming every
// environment whose current version breaks it, and then nothing changes.
// The heads of every environment are locked first, so that no change set,
// promotion or rollback checked against the old schema commits between the
// check and the new schema.
func (s *Service) PutSchema(ctx context.Context, actor domain.Actor, slug string, doc json.RawMessage) (AssetSchema, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return AssetSchema{}, err
	}
	if err := checkSlug(slug); err != nil {
		return AssetSchema{}, err
	}
	compiled, err := schema.Compile("schema", doc)
	if err != nil {
		return AssetSchema{}, err
	}
	normalized, err := schema.Normalize(doc)
	if err != nil {
		return AssetSchema{}, err
	}
	return inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (AssetSchema, error) {
		// No write of the asset may slip between the check of its current
		// versions and the commit, or its version and its head's mark would
		// miss the schema.
		asset, err := st.Assets().LockBySlugExclusive(ctx, slug)
		if err != nil {
			return AssetSchema{}, namedAssetError(slug, err)
		}
		envs, err := st.Environments().List(ctx)
		if err != nil {
			return AssetSchema{}, err
		}
		var violations []schemaViolation
		for _, e := range envs {
			head, err := st.Versions().LockHead(ctx, asset.ID, e.Name)
			if err != nil {
				return AssetSchema{}, err
			}
			if head == 0 {
				continue
			}
			cur, err := st.Versions().Current(ctx, asset.ID, e.Name)
			if err != nil {
				return AssetSchema{}, err
			}
			at := place{tenant: actor.TenantID, asset: asset.ID, env: e.Name}
			w := newRefWorld(e.Name, slug, &worldAsset{id: asset.ID, version: cur.Number, snap: cur.Snapshot, at: at})
			if err := w.load(ctx, st, actor.TenantID, slug); err != nil {
				return AssetSchema{}, err
			}
			found, err := s.violations(ctx, st, compiled, w, slug)
			if err != nil {
				return AssetSchema{}, err
			}
			violations = append(violations, found...)
		}
		if len(violations) > 0 {
			return AssetSchema{}, violationError(violations)
		}
		action := domain.ActionSchemaUpdated
		if _, err := st.Schemas().Get(ctx, asset.ID); domain.IsKind(err, domain.KindSchemaNotFound) {
			action = domain.ActionSchemaCreated
		} else if err != nil {
			return AssetSchema{}, err
		}
		sch := domain.AssetSchema{AssetID: asset.ID, Schema: normalized, UpdatedAt: s.now()}
		if err := st.Schemas().Put(ctx, sch); err != nil {
			return AssetSchema{}, namedAssetError(slug, err)
		}
		if err := s.deps.Audit.Append(ctx, st.Audit(), actor, action, assetTarget(slug), schemaChanged{Asset: slug}); err != nil {
			return AssetSchema{}, err
		}
		return AssetSchema{Asset: slug, Schema: normalized, UpdatedAt: sch.UpdatedAt}, nil
	})
}

// DeleteSchema removes an asset's schema (admin); SCHEMA_NOT_FOUND when it
// has none.
func (s *Service) DeleteSchema(ctx context.Context, actor domain.Actor, slug string) error {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return err
	}
	if err := checkSlug(slug); err != nil {
		return err
	}
	_, err := inTenant(ctx, s, actor, func(ctx context.Context, st ports.TenantTx) (struct{}, error) {
		asset, err := assetBySlug(ctx, st, slug)
		if err != nil {
			return struct{}{}, err
		}
		if err := st.Schemas().Delete(ctx, asset.ID); err != nil {
			return struct{}{}, namedSchemaError(slug, err)
		}
		return struct{}{}, s.deps.Audit.Append(ctx, st.Audit(), actor, domain.ActionSchemaDeleted, assetTarget(slug), schemaChanged{Asset: slug})
	})
	return err
}

// schemaViolation is one entry of SCHEMA_VIOLATION's details.violations.
type schemaViolation struct {
	Environment string `json:"environment"`
	Path        string `json:"path"`
	Message     string `json:"message"`
}

// violationError is the SCHEMA_VIOLATION of violations.
func violationError(violations []schemaViolation) error {
	list := make([]map[string]any, 0, len(violations))
	for _, v := range violations {
		list = append(list, map[string]any{"environment": v.Environment, "path": v.Path, "message": v.Message})
	}
	return domain.Errorf(domain.KindSchemaViolation, "The configuration does not satisfy the asset's schema.").
		WithDetail("violations", list)
}

// namedSchemaError gives a store's SCHEMA_NOT_FOUND the slug.
func namedSchemaError(slug string, err error) error {
	if domain.IsKind(err, domain.KindSchemaNotFound) {
		return &domain.Error{
			Kind:    domain.KindSchemaNotFound,
			Message: "The asset has no schema.",
			Details: map[string]any{"asset_slug": slug},
			Cause:   err,
		}
	}
	return err
}

// schemaView shows a stored schema, normalized so that both stores answer
// the same bytes.
func schemaView(slug string, sch domain.AssetSchema) (AssetSchema, error) {
	doc, err := schema.Normalize(sch.Schema)
	if err != nil {
		return AssetSchema{}, err
	}
	return AssetSchema{Asset: slug, Schema: doc, UpdatedAt: sch.UpdatedAt}, nil
}

// checkSlug validates an asset slug given in a path.
func checkSlug(slug string) error {
	p := domain.Problems{}
	domain.CheckSlug(p, "slug", slug)
	return p.Err()
}
