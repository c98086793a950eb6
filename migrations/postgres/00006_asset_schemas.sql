-- Each asset's JSON Schema (draft 2020-12), which every environment's
-- resolved configuration must satisfy: at most one per asset, deleted with
-- it. Tenant-owned: row-level security as for every other table, and the
-- service may read, write and delete it.

-- +goose Up
CREATE TABLE asset_schemas (
    tenant_id  uuid        NOT NULL,
    asset_id   uuid        NOT NULL,
    schema     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT asset_schemas_pkey PRIMARY KEY (asset_id),
    CONSTRAINT asset_schemas_asset_fkey FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT asset_schemas_schema_check CHECK (jsonb_typeof(schema) IN ('object', 'boolean'))
);
CREATE INDEX asset_schemas_tenant_idx ON asset_schemas (tenant_id);

ALTER TABLE asset_schemas ENABLE ROW LEVEL SECURITY;
ALTER TABLE asset_schemas FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON asset_schemas FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON asset_schemas TO configmat_app;

-- +goose Down
DROP TABLE asset_schemas;
