-- Head marks: see migrations/postgres/00010_head_marks.sql.

-- +goose Up
ALTER TABLE version_heads ADD COLUMN has_schema INTEGER NOT NULL DEFAULT 0 CHECK (has_schema IN (0, 1));
ALTER TABLE version_heads ADD COLUMN referenced INTEGER NOT NULL DEFAULT 0 CHECK (referenced IN (0, 1));

UPDATE version_heads SET has_schema = 1
    WHERE EXISTS (SELECT 1 FROM asset_schemas AS s
        WHERE s.tenant_id = version_heads.tenant_id AND s.asset_id = version_heads.asset_id);

UPDATE version_heads SET referenced = 1
    WHERE EXISTS (
        SELECT 1 FROM assets AS a
        JOIN version_heads AS o ON o.tenant_id = a.tenant_id AND o.environment = version_heads.environment
            AND o.asset_id <> a.id
        JOIN versions AS v ON v.tenant_id = o.tenant_id AND v.asset_id = o.asset_id
            AND v.environment = o.environment AND v.number = o.current_version
        WHERE a.tenant_id = version_heads.tenant_id AND a.id = version_heads.asset_id
          AND instr(CAST(v.snapshot AS TEXT), '${' || a.slug || '/') > 0);

-- +goose Down
ALTER TABLE version_heads DROP COLUMN referenced;
ALTER TABLE version_heads DROP COLUMN has_schema;
