-- Head marks: what a version head records so that a change set can skip two
-- lookups (issue 10's write path).
--
--   has_schema  the head's asset has a schema (asset_schemas): a write reads
--               and checks it only when set. Kept by the store: a head is
--               created with it, and putting or deleting a schema sets it on
--               every head of the asset (PutSchema holds their locks).
--   referenced  a current version of another asset in the head's environment
--               may reference this asset: a write looks for the assets it
--               changes through their references only when set. Set (never
--               cleared) by the write that references the asset, in the
--               statement that locks the referenced heads, so that a writer
--               of the asset waiting for that lock reads the mark.
--
-- Existing heads are marked from their data: the tables' owner fills the
-- columns in with row-level security not forced on it for the length of this
-- migration's transaction (the ALTERs lock the tables until it commits, so no
-- other session sees them unforced).

-- +goose Up
ALTER TABLE version_heads ADD COLUMN has_schema boolean NOT NULL DEFAULT false;
ALTER TABLE version_heads ADD COLUMN referenced boolean NOT NULL DEFAULT false;

ALTER TABLE version_heads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE versions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE assets NO FORCE ROW LEVEL SECURITY;
ALTER TABLE asset_schemas NO FORCE ROW LEVEL SECURITY;

UPDATE version_heads AS h SET has_schema = true
    WHERE EXISTS (SELECT 1 FROM asset_schemas AS s WHERE s.tenant_id = h.tenant_id AND s.asset_id = h.asset_id);

-- Slugs hold no LIKE wildcard (^[a-z0-9][a-z0-9-]{0,62}$).
UPDATE version_heads AS h SET referenced = true
    FROM assets AS a
    WHERE a.tenant_id = h.tenant_id AND a.id = h.asset_id
      AND EXISTS (
        SELECT 1 FROM version_heads AS o
        JOIN versions AS v ON v.tenant_id = o.tenant_id AND v.asset_id = o.asset_id
            AND v.environment = o.environment AND v.number = o.current_version
        WHERE o.tenant_id = h.tenant_id AND o.environment = h.environment AND o.asset_id <> h.asset_id
          AND CAST(v.snapshot AS text) LIKE '%${' || a.slug || '/%');

ALTER TABLE version_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE versions FORCE ROW LEVEL SECURITY;
ALTER TABLE assets FORCE ROW LEVEL SECURITY;
ALTER TABLE asset_schemas FORCE ROW LEVEL SECURITY;

-- +goose Down
ALTER TABLE version_heads DROP COLUMN referenced;
ALTER TABLE version_heads DROP COLUMN has_schema;
