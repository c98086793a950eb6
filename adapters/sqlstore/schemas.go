package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
)

// schemaStore holds the bound tenant's asset schemas.
type schemaStore struct{ t *txn }

type schemaRow struct {
	AssetID   string `db:"asset_id"`
	Schema    []byte `db:"schema"`
	UpdatedAt dbTime `db:"updated_at"`
}

func (r schemaRow) schema() domain.AssetSchema {
	return domain.AssetSchema{AssetID: domain.AssetID(r.AssetID), Schema: json.RawMessage(r.Schema), UpdatedAt: r.UpdatedAt.Time}
}

// Get returns an asset's schema; SCHEMA_NOT_FOUND.
func (s schemaStore) Get(ctx context.Context, asset domain.AssetID) (domain.AssetSchema, error) {
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return domain.AssetSchema{}, domain.StoreError(domain.KindSchemaNotFound)
	}
	return fetch(ctx, s.t, domain.KindSchemaNotFound, "could not read the schema", schemaRow.schema,
		`SELECT asset_id, schema, updated_at FROM asset_schemas WHERE tenant_id = ? AND asset_id = ?`, string(s.t.tenant), id)
}

// GetMany returns the schemas of those of the assets that have one, by
// asset ID, in one statement.
func (s schemaStore) GetMany(ctx context.Context, assets []domain.AssetID) (map[domain.AssetID]domain.AssetSchema, error) {
	out := make(map[domain.AssetID]domain.AssetSchema, len(assets))
	ids := canonicalIDs(assets)
	if len(ids) == 0 {
		return out, nil
	}
	found, err := fetchAll(ctx, s.t, "could not read the schemas", schemaRow.schema,
		`SELECT asset_id, schema, updated_at FROM asset_schemas WHERE tenant_id = ? AND asset_id IN (`+placeholders(len(ids))+`)`,
		append([]any{string(s.t.tenant)}, ids...)...)
	if err != nil {
		return nil, err
	}
	for _, sch := range found {
		out[sch.AssetID] = sch
	}
	return out, nil
}

// Put inserts or replaces an asset's schema, only where the asset exists;
// ASSET_NOT_FOUND.
func (s schemaStore) Put(ctx context.Context, sch domain.AssetSchema) error {
	id, ok := CanonicalUUID(string(sch.AssetID))
	if !ok {
		return domain.StoreError(domain.KindAssetNotFound)
	}
	parents := []parent{s.t.assetParent(id)}
	query, args := underParents(`INSERT INTO asset_schemas (tenant_id, asset_id, schema, updated_at) SELECT ?, ?, ?, ?`,
		[]any{string(s.t.tenant), id, string(sch.Schema), stamp(sch.UpdatedAt)}, parents)
	n, err := s.t.execCount(ctx, "could not store the schema",
		query+` ON CONFLICT (asset_id) DO UPDATE SET schema = excluded.schema, updated_at = excluded.updated_at`, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.t.missingParent(ctx, parents, domain.KindConflict)
	}
	return s.markHeads(ctx, id, true)
}

// markHeads sets whether the heads of the asset id say it has a schema.
func (s schemaStore) markHeads(ctx context.Context, id string, has bool) error {
	_, err := s.t.exec(ctx, `UPDATE version_heads SET has_schema = ? WHERE tenant_id = ? AND asset_id = ? AND has_schema <> ?`,
		has, string(s.t.tenant), id, has)
	return s.t.fail(err, "could not mark the asset's version heads")
}

// Delete removes an asset's schema; SCHEMA_NOT_FOUND.
func (s schemaStore) Delete(ctx context.Context, asset domain.AssetID) error {
	id, ok := CanonicalUUID(string(asset))
	if !ok {
		return domain.StoreError(domain.KindSchemaNotFound)
	}
	if err := s.t.execOne(ctx, domain.KindSchemaNotFound, "could not delete the schema",
		`DELETE FROM asset_schemas WHERE tenant_id = ? AND asset_id = ?`, string(s.t.tenant), id); err != nil {
		return err
	}
	return s.markHeads(ctx, id, false)
}
