-- Signed Merkle checkpoints of the audit chain: see
-- migrations/postgres/00007_audit_checkpoints.sql.

-- +goose Up
ALTER TABLE audit_entries ADD COLUMN tree_nodes BLOB CHECK (tree_nodes IS NULL OR (length(tree_nodes) % 32 = 0 AND length(tree_nodes) BETWEEN 32 AND 2048));
ALTER TABLE audit_entries ADD COLUMN checkpoint TEXT;

-- +goose Down
ALTER TABLE audit_entries DROP COLUMN checkpoint;
ALTER TABLE audit_entries DROP COLUMN tree_nodes;
