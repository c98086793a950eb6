-- The directory: the few lookups that must happen before a tenant is known
-- (an API key by digest, a user's memberships, a tenant by slug, any wrapped
-- data key for the health check). They run as SECURITY DEFINER functions owned
-- by the migration role, which must bypass row-level security, and each returns
-- only the columns its caller needs. The application's role may execute them
-- but reads no tenant-owned table outside a transaction bound to a tenant.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_roles
        WHERE rolname = current_user AND (rolbypassrls OR rolsuper)
    ) THEN
        RAISE EXCEPTION 'the migration role % must have BYPASSRLS: the directory functions run as it', current_user
            USING HINT = 'ALTER ROLE <owner> BYPASSRLS (as a superuser), or run migrations as a role that has it';
    END IF;
END
$$;
-- +goose StatementEnd

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

-- Functions are executable by PUBLIC by default; these are granted explicitly.
REVOKE ALL ON FUNCTION directory_api_key_by_digest(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_memberships_of_user(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_tenant_by_slug(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_any_data_key() FROM PUBLIC;

-- +goose Down
DROP FUNCTION directory_any_data_key();
DROP FUNCTION directory_tenant_by_slug(text);
DROP FUNCTION directory_memberships_of_user(uuid);
DROP FUNCTION directory_api_key_by_digest(bytea);
