-- Each asset's JSON Schema (draft 2020-12), at most one per asset, deleted
-- with it; the schema is JSON text.

-- +goose Up
CREATE TABLE asset_schemas (
    tenant_id  TEXT NOT NULL,
    asset_id   TEXT NOT NULL PRIMARY KEY,
    schema     TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX asset_schemas_tenant ON asset_schemas (tenant_id);

-- +goose Down
DROP TABLE asset_schemas;
