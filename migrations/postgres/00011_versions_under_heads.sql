-- A version belongs to its pair's head, not directly to its environment
-- (issue 10's write path, measured in BENCHMARKS.md section 2).
--
-- versions_environment_idx (tenant_id, environment) only served the cascade
-- from environments. It also gave the planner a second way to find the
-- version a head names: every version of the tenant's environment, filtered.
-- When the table has no statistics yet (before autovacuum's first ANALYZE,
-- or with autovacuum off) both ways look like one row, and PostgreSQL took
-- the filtered scan: each change set read its pair's whole history, and got
-- slower with every version. Without the index the primary key is the only
-- way in, whatever the statistics say; each version also costs one index
-- entry less.
--
-- The environment is still enforced: the head's own foreign keys hold its
-- asset and its environment, and a head goes only with one of them, taking
-- its versions with it (the cascade finds them by the primary key's prefix).
-- Every writer creates and locks the head before it writes a version under
-- it, so existing versions all have one; the check of the insert now locks
-- that head, which its writer already holds, instead of the environment's
-- row, which every writer of the environment shares.

-- +goose Up
ALTER TABLE versions ADD CONSTRAINT versions_head_fkey FOREIGN KEY (asset_id, environment)
    REFERENCES version_heads (asset_id, environment) ON DELETE CASCADE NOT VALID;
ALTER TABLE versions VALIDATE CONSTRAINT versions_head_fkey;
ALTER TABLE versions DROP CONSTRAINT versions_environment_fkey;
DROP INDEX versions_environment_idx;

-- +goose Down
CREATE INDEX versions_environment_idx ON versions (tenant_id, environment);
ALTER TABLE versions ADD CONSTRAINT versions_environment_fkey FOREIGN KEY (tenant_id, environment)
    REFERENCES environments (tenant_id, name) ON DELETE CASCADE;
ALTER TABLE versions DROP CONSTRAINT versions_head_fkey;
