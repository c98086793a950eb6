-- The group roles the migrations grant privileges to, so that no migration
-- names a login role (roles are global to the cluster; see the PostgreSQL
-- adapter's README for the DBA's SQL):
--
--   configmat_app        the service's privileges (00005); the DBA grants it to
--                        the login role of DATABASE_URL.
--   configmat_directory  owns the directory functions (00004), the only path
--                        from the service to rows of no bound tenant; the
--                        read-only policies that serve those lookups name it
--                        alone. Nobody logs in as it, and only the migration
--                        role may be a member of it (PostgreSQL lets a role give
--                        a function to another only when it is a member).
--
-- No ConfigMat role has SUPERUSER or BYPASSRLS, the migration role included.
-- The migrations create a missing group role when the migration role has
-- CREATEROLE and make it a member of configmat_directory when it may; otherwise
-- they stop with the DBA's SQL in the error. They also refuse group roles that
-- could escape row-level security.

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['configmat_app', 'configmat_directory'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT', group_role);
            EXCEPTION
                -- Another database of the cluster created it concurrently.
                WHEN duplicate_object OR unique_violation THEN NULL;
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'role % does not exist and % may not create it (a DBA runs: CREATE ROLE % NOLOGIN NOINHERIT)',
                        group_role, current_user, group_role
                        USING HINT = format('CREATE ROLE %I NOLOGIN NOINHERIT, then run the migrations again', group_role);
            END;
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
    unsafe text;
BEGIN
    -- A group role escapes row-level security when it, or a role it may
    -- become, is a superuser or has BYPASSRLS.
    SELECT g.rolname INTO unsafe
    FROM pg_catalog.pg_roles AS g, pg_catalog.pg_roles AS r
    WHERE g.rolname IN ('configmat_app', 'configmat_directory')
      AND (r.rolsuper OR r.rolbypassrls)
      AND pg_catalog.pg_has_role(g.oid, r.oid, 'MEMBER')
    LIMIT 1;
    IF unsafe IS NOT NULL THEN
        RAISE EXCEPTION 'role % can bypass row-level security (a DBA runs: ALTER ROLE % NOSUPERUSER NOBYPASSRLS, and revokes its membership in any role that can)',
            unsafe, unsafe;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'configmat_directory' AND rolcanlogin) THEN
        RAISE EXCEPTION 'role configmat_directory may log in: it must not (a DBA runs: ALTER ROLE configmat_directory NOLOGIN)';
    END IF;
    -- The service's privileges must not lead to the directory's reads nor to
    -- the owner's, who may switch the policies off.
    IF pg_catalog.pg_has_role('configmat_app', 'configmat_directory', 'MEMBER')
        OR pg_catalog.pg_has_role('configmat_app', current_user, 'MEMBER') THEN
        RAISE EXCEPTION 'role configmat_app is a member of configmat_directory or of %: the service would escape row-level security (a DBA revokes that membership)',
            current_user;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'configmat_directory', 'MEMBER') THEN
        GRANT configmat_directory TO CURRENT_USER;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the migration role % is not a member of configmat_directory and may not make itself one (a DBA runs: GRANT configmat_directory TO %)',
            current_user, quote_ident(current_user)
            USING HINT = format('GRANT configmat_directory TO %I, then run the migrations again', current_user);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- The group roles and the migration role's membership stay: roles belong to
-- the cluster, and other databases may use them.
SELECT 1;
