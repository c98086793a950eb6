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
		asset, err := lockedAsset(ctx, st, slug)
		if err != nil {
			return AssetSchema{}, err
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
			found, err := s.violations(ctx, st, compiled, place{tenant: actor.TenantID, asset: asset.ID, env: e.Name}, e.Name, cur.Snapshot)
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

// checkSchema checks the snapshot that a write would make the version of at
// against the asset's schema, when it has one: SCHEMA_VIOLATION, naming
// at's environment, when it breaks it.
func (s *Service) checkSchema(ctx context.Context, st ports.TenantTx, at place, snap domain.Snapshot) error {
	return s.checkSchemaAs(ctx, st, at, at.env, snap)
}

// checkSchemaAs is checkSchema for a snapshot whose secrets are sealed for
// at but that would become a version of env (a promotion's source).
func (s *Service) checkSchemaAs(ctx context.Context, st ports.TenantTx, at place, env string, snap domain.Snapshot) error {
	sch, err := st.Schemas().Get(ctx, at.asset)
	if domain.IsKind(err, domain.KindSchemaNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	compiled, err := schema.Compile("schema", sch.Schema)
	if err != nil {
		return domain.Wrap(err, "The stored schema could not be compiled.")
	}
	violations, err := s.violations(ctx, st, compiled, at, env, snap)
	if err != nil {
		return err
	}
	if len(violations) > 0 {
		return violationError(violations)
	}
	return nil
}

// violations resolves snap (its secrets sealed for at) as env's
// configuration, secrets in plaintext, and returns how it breaks compiled. The plaintexts are wiped before it
// returns; the messages never hold a value (core/schema writes them).
func (s *Service) violations(ctx context.Context, st ports.TenantTx, compiled *schema.Schema, at place, env string, snap domain.Snapshot) ([]schemaViolation, error) {
	config, err := resolveConfig(ctx, s.deps.Keys, st, at, snap, true)
	if err != nil {
		return nil, err
	}
	defer wipeSecrets(config, snap)
	found, err := compiled.Validate(config)
	if err != nil {
		return nil, err
	}
	out := make([]schemaViolation, 0, len(found))
	for _, v := range found {
		out = append(out, schemaViolation{Environment: env, Path: v.Path, Message: v.Message})
	}
	return out, nil
}

// wipeSecrets overwrites the plaintexts of snap's secrets in config.
func wipeSecrets(config map[string]map[string]json.RawMessage, snap domain.Snapshot) {
	for obj, keys := range snap {
		for key, v := range keys {
			if v.Secret {
				clear(config[obj][key])
			}
		}
	}
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
