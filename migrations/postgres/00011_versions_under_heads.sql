-- A version belongs to its pair's head, not directly to its environment
-- (issue 10's write path, measured in BENCHMARKS.md section 2).
--
-- versions_environment_idx (tenant_id, environment) only served the cascade
-- from environments. It also gave the planner a second way to find the
-- version a head names: every version of the tenant's environment, filtered.
-- When the table has no statistics (before autovacuum's first ANALYZE, or
-- with autovacuum off) PostgreSQL takes 0.5 % of the estimated rows for an
-- equality, so both ways looked like one row, and it took the filtered scan,
-- which needs no value from the head: each change set read the environment's
-- whole history and got slower with every version. Without the index the
-- primary key is the only way in, whatever the statistics; each version
-- also costs one index entry less.
--
-- The head's index (tenant_id, environment) becomes the unique key
-- (tenant_id, environment, asset_id) that the versions' foreign key names
-- (foreign keys between tenant-owned tables include the tenant). It still
-- serves the environment's heads in order of their assets and the cascade
-- from environments, and a head's lookup by its full key finds one row by
-- either of its two keys. The environment is still enforced, through the
-- head's own foreign keys; a head goes only with its asset or its
-- environment, and takes its versions with it (found by the versions'
-- primary key). Every writer creates and locks the head before it writes a
-- version under it, so existing versions all have one. The insert's check
-- now locks that head, which its writer already holds, instead of the
-- environment's row, which every writer of the environment shares.
--
-- The tables' owner validates the keys with row-level security not forced
-- on it for the length of this migration's transaction, as migration 10
-- does: forced, the validation would see no tenant's rows and check none.
-- The ALTERs lock version_heads, then versions, until the transaction
-- commits; a writer of an older process that already holds versions and
-- then wants version_heads is a deadlock, which PostgreSQL ends by aborting
-- one of the two (a migration aborted so is applied at the next start).

-- +goose Up
ALTER TABLE version_heads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE versions NO FORCE ROW LEVEL SECURITY;

ALTER TABLE version_heads ADD CONSTRAINT version_heads_tenant_pair_key
    UNIQUE (tenant_id, environment, asset_id);
DROP INDEX version_heads_environment_idx;
ALTER TABLE versions ADD CONSTRAINT versions_head_fkey FOREIGN KEY (tenant_id, environment, asset_id)
    REFERENCES version_heads (tenant_id, environment, asset_id) ON DELETE CASCADE;
ALTER TABLE versions DROP CONSTRAINT versions_environment_fkey;
DROP INDEX versions_environment_idx;

ALTER TABLE version_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE versions FORCE ROW LEVEL SECURITY;

-- +goose Down
ALTER TABLE environments NO FORCE ROW LEVEL SECURITY;
ALTER TABLE version_heads NO FORCE ROW LEVEL SECURITY;
ALTER TABLE versions NO FORCE ROW LEVEL SECURITY;

CREATE INDEX versions_environment_idx ON versions (tenant_id, environment);
ALTER TABLE versions ADD CONSTRAINT versions_environment_fkey FOREIGN KEY (tenant_id, environment)
    REFERENCES environments (tenant_id, name) ON DELETE CASCADE;
ALTER TABLE versions DROP CONSTRAINT versions_head_fkey;
CREATE INDEX version_heads_environment_idx ON version_heads (tenant_id, environment);
ALTER TABLE version_heads DROP CONSTRAINT version_heads_tenant_pair_key;

ALTER TABLE environments FORCE ROW LEVEL SECURITY;
ALTER TABLE version_heads FORCE ROW LEVEL SECURITY;
ALTER TABLE versions FORCE ROW LEVEL SECURITY;
