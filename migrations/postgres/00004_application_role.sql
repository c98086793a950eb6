-- The application's privileges, granted to the NOLOGIN group role
-- configmat_app so that this migration names no login role: the DBA grants
-- configmat_app to the role the service connects as (see the PostgreSQL
-- adapter's README). The grants are the least each table needs: the audit
-- chain and versions are append-only for the application, and nothing is
-- deleted except through memberships, assets (cascading to their versions and
-- heads) and revocations.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'configmat_app') THEN
        CREATE ROLE configmat_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    -- Another database of the cluster created it concurrently.
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role configmat_app does not exist and % may not create it', current_user
            USING HINT = 'CREATE ROLE configmat_app NOLOGIN (as a DBA), then run the migrations again';
END
$$;
-- +goose StatementEnd

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

GRANT EXECUTE ON FUNCTION directory_api_key_by_digest(bytea)   TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_memberships_of_user(uuid)  TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_tenant_by_slug(text)       TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_any_data_key()             TO configmat_app;

-- +goose Down
REVOKE ALL ON FUNCTION directory_any_data_key()            FROM configmat_app;
REVOKE ALL ON FUNCTION directory_tenant_by_slug(text)      FROM configmat_app;
REVOKE ALL ON FUNCTION directory_memberships_of_user(uuid) FROM configmat_app;
REVOKE ALL ON FUNCTION directory_api_key_by_digest(bytea)  FROM configmat_app;
REVOKE ALL ON tenants, users, user_tokens, memberships, environments, assets,
    version_heads, versions, api_keys, audit_entries, audit_heads FROM configmat_app;
