-- The service's privileges, granted to the NOLOGIN group role configmat_app
-- (00003) so that this migration names no login role: the DBA grants
-- configmat_app to the role the service connects as (see the PostgreSQL
-- adapter's README). The grants are the least each table needs: the audit
-- chain and versions are append-only for the service, and nothing is deleted
-- except through memberships, assets (cascading to their versions and heads)
-- and revocations. Row-level security still decides which rows they reach.

-- +goose Up
GRANT SELECT, INSERT                 ON tenants       TO configmat_app;
GRANT SELECT, INSERT                 ON users         TO configmat_app;
GRANT SELECT, INSERT, UPDATE         ON user_tokens   TO configmat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships   TO configmat_app;
GRANT SELECT, INSERT                 ON environments  TO configmat_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON assets        TO configmat_app;
GRANT SELECT, INSERT, UPDATE         ON version_heads TO configmat_app;
GRANT SELECT, INSERT                 ON versions      TO configmat_app;
GRANT SELECT, INSERT, UPDATE         ON api_keys      TO configmat_app;
GRANT SELECT, INSERT                 ON audit_entries TO configmat_app;
GRANT SELECT, INSERT, UPDATE         ON audit_heads   TO configmat_app;

-- +goose Down
REVOKE ALL ON tenants, users, user_tokens, memberships, environments, assets,
    version_heads, versions, api_keys, audit_entries, audit_heads FROM configmat_app;
