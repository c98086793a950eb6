-- The embedded store's schema for the shared SQL store (adapters/sqlstore),
-- which writes the same statements for SQLite as for PostgreSQL:
-- * a chain's head exists from its first lock, at sequence number 0, as in
--   PostgreSQL, so that every append moves it from where it was;
-- * users are found by lower(email), as in PostgreSQL.
-- Migration 00003 (Go, adapters/sqlite) converts the stored snapshots.

-- +goose Up
CREATE TABLE audit_heads_new (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    hash      TEXT NOT NULL
) STRICT;
INSERT INTO audit_heads_new (tenant_id, seq, hash) SELECT tenant_id, seq, hash FROM audit_heads;
DROP TABLE audit_heads;
ALTER TABLE audit_heads_new RENAME TO audit_heads;

CREATE INDEX users_email_lower ON users (lower(email));

-- +goose Down
DROP INDEX users_email_lower;
DELETE FROM audit_heads WHERE seq = 0;
CREATE TABLE audit_heads_old (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq > 0),
    hash      TEXT NOT NULL
) STRICT;
INSERT INTO audit_heads_old (tenant_id, seq, hash) SELECT tenant_id, seq, hash FROM audit_heads;
DROP TABLE audit_heads;
ALTER TABLE audit_heads_old RENAME TO audit_heads;
