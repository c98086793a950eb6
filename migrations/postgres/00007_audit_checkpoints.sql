-- Signed Merkle checkpoints of the audit chain (RFC 9162): every perfect
-- subtree's hash, so that a proof reads O(log n) rows instead of rehashing
-- the log, and each tenant's latest signed checkpoint with the compact range
-- that the next append extends.

-- +goose Up
CREATE TABLE audit_tree_nodes (
    tenant_id uuid     NOT NULL,
    level     smallint NOT NULL,
    idx       bigint   NOT NULL,
    hash      bytea    NOT NULL,
    CONSTRAINT audit_tree_nodes_pkey PRIMARY KEY (tenant_id, level, idx),
    CONSTRAINT audit_tree_nodes_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT audit_tree_nodes_place_check CHECK (level >= 0 AND level < 64 AND idx >= 0)
);

CREATE TABLE audit_checkpoints (
    tenant_id     uuid   NOT NULL,
    size          bigint NOT NULL,
    root_hash     bytea  NOT NULL,
    compact_range bytea  NOT NULL,
    note          text   NOT NULL,
    CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT audit_checkpoints_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT audit_checkpoints_size_check CHECK (size >= 0)
);

ALTER TABLE audit_tree_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_tree_nodes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_tree_nodes FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

-- A node is replaced only when the chain was cut and grew again.
GRANT SELECT, INSERT, UPDATE ON audit_tree_nodes  TO configmat_app;
GRANT SELECT, INSERT, UPDATE ON audit_checkpoints TO configmat_app;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree_nodes;
