-- KEK rotation (configmat keys rotate): the service may replace a tenant's
-- wrapped data key (those two columns only, under the tenant policy), and
-- two directory functions, read before any tenant is known, count the data
-- keys by the key that wraps them and list the tenants still to rewrap. Like
-- the others (00004) they are SECURITY DEFINER, owned by configmat_directory,
-- and return only the columns their caller needs.

-- +goose Up
GRANT UPDATE (data_key_id, data_key) ON tenants TO configmat_app;

-- +goose StatementBegin
CREATE FUNCTION directory_data_key_uses()
RETURNS TABLE (data_key_id text, tenants bigint, tenant_id uuid, data_key bytea)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT DISTINCT ON (t.data_key_id) t.data_key_id,
        count(*) OVER (PARTITION BY t.data_key_id), t.id, t.data_key
    FROM public.tenants AS t
    ORDER BY t.data_key_id, t.created_at, t.id
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION directory_tenants_not_on_key(p_key_id text, p_limit integer)
RETURNS TABLE (tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT t.id FROM public.tenants AS t
    WHERE t.data_key_id <> p_key_id
    ORDER BY t.created_at, t.id
    LIMIT p_limit
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION directory_data_key_uses() FROM PUBLIC;
REVOKE ALL ON FUNCTION directory_tenants_not_on_key(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION directory_data_key_uses() TO configmat_app;
GRANT EXECUTE ON FUNCTION directory_tenants_not_on_key(text, integer) TO configmat_app;

-- The functions change hands last, as in 00004 (the columns they read are
-- granted to configmat_directory there).
-- +goose StatementBegin
DO $$
DECLARE
    lent boolean := NOT has_schema_privilege('configmat_directory', 'public', 'CREATE');
BEGIN
    IF lent THEN
        GRANT CREATE ON SCHEMA public TO configmat_directory;
    END IF;
    ALTER FUNCTION directory_data_key_uses()                 OWNER TO configmat_directory;
    ALTER FUNCTION directory_tenants_not_on_key(text, integer) OWNER TO configmat_directory;
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
DROP FUNCTION directory_tenants_not_on_key(text, integer);
DROP FUNCTION directory_data_key_uses();
REVOKE UPDATE (data_key_id, data_key) ON tenants FROM configmat_app;
