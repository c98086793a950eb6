-- Signed Merkle checkpoints of the audit chain: see
-- migrations/postgres/00007_audit_checkpoints.sql.

-- +goose Up
CREATE TABLE audit_tree_nodes (
    tenant_id TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    level     INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
    idx       INTEGER NOT NULL CHECK (idx >= 0),
    hash      BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
    tenant_id     TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    size          INTEGER NOT NULL CHECK (size >= 0),
    root_hash     BLOB    NOT NULL,
    compact_range BLOB    NOT NULL,
    note          TEXT    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_tree_nodes;
