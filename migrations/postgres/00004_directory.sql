-- The directory: the few lookups that must happen before a tenant is known
-- (an API key by digest, a user's memberships, a tenant by slug, any wrapped
-- data key for the health check). Each is a SECURITY DEFINER function with a
-- fixed search_path that returns only the columns its caller needs, owned by
-- configmat_directory (00003), a role with neither SUPERUSER nor BYPASSRLS.
-- Row-level security applies to that role too: read-only policies naming it
-- alone let it see the rows of every tenant in api_keys, memberships and
-- tenants, and column grants limit it to the columns the functions read. It
-- can write nothing and read no other table. The service (configmat_app) may
-- execute the functions but is not a member of configmat_directory, so it
-- still reads no tenant-owned row outside a transaction bound to a tenant.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION directory_api_key_by_digest(p_digest bytea)
RETURNS TABLE (id uuid, tenant_id uuid, digest bytea, environment text, expires_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT k.id, k.tenant_id, k.digest, k.environment, k.expires_at, k.revoked_at
    FROM public.api_keys AS k
    WHERE k.digest = p_digest
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION directory_memberships_of_user(p_user_id uuid)
RETURNS TABLE (tenant_id uuid, slug text, name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT t.id, t.slug, t.name, m.role
    FROM public.memberships AS m
    JOIN public.tenants AS t ON t.id = m.tenant_id
    WHERE m.user_id = p_user_id
    ORDER BY m.created_at, m.tenant_id
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION directory_tenant_by_slug(p_slug text)
RETURNS TABLE (id uuid, slug text, name text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT t.id, t.slug, t.name
    FROM public.tenants AS t
    WHERE t.slug = p_slug
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION directory_any_data_key()
RETURNS TABLE (tenant_id uuid, data_key_id text, data_key bytea)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT t.id, t.data_key_id, t.data_key
    FROM public.tenants AS t
    ORDER BY t.created_at, t.id
    LIMIT 1
$$;
-- +goose StatementEnd

-- Functions are executable by PUBLIC by default: only the service may.
REVOKE ALL ON FUNCTION directory_api_key_by_digest(bytea)  FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_memberships_of_user(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_tenant_by_slug(text)      FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_any_data_key()            FROM PUBLIC;
GRANT EXECUTE ON FUNCTION directory_api_key_by_digest(bytea)  TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_memberships_of_user(uuid) TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_tenant_by_slug(text)      TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_any_data_key()            TO configmat_app;

-- What the functions read, and nothing more.
CREATE POLICY directory_lookup ON api_keys    FOR SELECT TO configmat_directory USING (true);
CREATE POLICY directory_lookup ON memberships FOR SELECT TO configmat_directory USING (true);
CREATE POLICY directory_lookup ON tenants     FOR SELECT TO configmat_directory USING (true);
GRANT SELECT (id, tenant_id, digest, environment, expires_at, revoked_at) ON api_keys TO configmat_directory;
GRANT SELECT (tenant_id, user_id, role, created_at)                      ON memberships TO configmat_directory;
GRANT SELECT (id, slug, name, data_key_id, data_key, created_at)         ON tenants TO configmat_directory;

-- The functions change hands last, keeping the grants above. PostgreSQL
-- requires the new owner to have CREATE on the schema: lend it for the
-- transfer when it lacks it.
-- +goose StatementBegin
DO $$
DECLARE
    lent boolean := NOT has_schema_privilege('configmat_directory', 'public', 'CREATE');
BEGIN
    IF lent THEN
        GRANT CREATE ON SCHEMA public TO configmat_directory;
    END IF;
    ALTER FUNCTION directory_api_key_by_digest(bytea)  OWNER TO configmat_directory;
    ALTER FUNCTION directory_memberships_of_user(uuid) OWNER TO configmat_directory;
    ALTER FUNCTION directory_tenant_by_slug(text)      OWNER TO configmat_directory;
    ALTER FUNCTION directory_any_data_key()            OWNER TO configmat_directory;
    IF lent THEN
        REVOKE CREATE ON SCHEMA public FROM configmat_directory;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the migration role % may not give the directory functions to configmat_directory: %', current_user, SQLERRM
            USING HINT = format('As a DBA: GRANT configmat_directory TO %I, and make %I own the schema public', current_user, current_user);
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP POLICY directory_lookup ON tenants;
DROP POLICY directory_lookup ON memberships;
DROP POLICY directory_lookup ON api_keys;
REVOKE ALL ON tenants, memberships, api_keys FROM configmat_directory;
DROP FUNCTION directory_any_data_key();
DROP FUNCTION directory_tenant_by_slug(text);
DROP FUNCTION directory_memberships_of_user(uuid);
DROP FUNCTION directory_api_key_by_digest(bytea);
