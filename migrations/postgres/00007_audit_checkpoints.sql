-- Signed Merkle checkpoints of the audit chain (RFC 9162). Each entry keeps
-- the hashes of the tree nodes it completes as the tree's next leaf (its
-- leaf hash, then each parent it completes, 32 bytes each: node (level, i)
-- is hash number level of entry (i+1) << level), so that a proof reads
-- O(log n) rows and never rehashes the log, and the signed checkpoint of the
-- tree that ends with it. Both are NULL on entries written before; the
-- service fills them in once (the only UPDATE it may make on the chain,
-- limited to these two columns, which no chain hash covers).

-- +goose Up
ALTER TABLE audit_entries ADD COLUMN tree_nodes bytea;
ALTER TABLE audit_entries ADD COLUMN checkpoint text;
ALTER TABLE audit_entries ADD CONSTRAINT audit_entries_tree_nodes_check
    CHECK (tree_nodes IS NULL OR (octet_length(tree_nodes) % 32 = 0 AND octet_length(tree_nodes) BETWEEN 32 AND 2048));
GRANT UPDATE (tree_nodes, checkpoint) ON audit_entries TO configmat_app;

-- +goose Down
REVOKE UPDATE (tree_nodes, checkpoint) ON audit_entries FROM configmat_app;
ALTER TABLE audit_entries DROP CONSTRAINT audit_entries_tree_nodes_check;
ALTER TABLE audit_entries DROP COLUMN checkpoint;
ALTER TABLE audit_entries DROP COLUMN tree_nodes;
