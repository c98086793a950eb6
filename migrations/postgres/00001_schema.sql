-- ConfigMat schema: tables, keys and the indexes of every query path.
--
-- Every tenant-owned table carries tenant_id, and foreign keys between
-- tenant-owned tables include it, so a row can never point into another
-- tenant. Constraint names are part of the adapter's contract: the PostgreSQL
-- adapter translates unique and foreign-key violations to error kinds by them.

-- +goose Up
CREATE TABLE tenants (
    id          uuid        NOT NULL,
    slug        text        NOT NULL,
    name        text        NOT NULL,
    data_key_id text        NOT NULL,
    data_key    bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT tenants_pkey PRIMARY KEY (id),
    CONSTRAINT tenants_slug_key UNIQUE (slug)
);

-- users and user_tokens are global: a user reaches several tenants through
-- memberships and must be found before any tenant is known.
CREATE TABLE users (
    id            uuid        NOT NULL,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_tokens (
    id         text        NOT NULL,
    user_id    uuid        NOT NULL,
    digest     bytea       NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL,
    CONSTRAINT user_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT user_tokens_digest_key UNIQUE (digest),
    CONSTRAINT user_tokens_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id);

CREATE TABLE memberships (
    tenant_id  uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    role       text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT memberships_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT memberships_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'admin', 'editor', 'viewer'))
);
-- A user's memberships, oldest first (the pre-tenant directory lookup).
CREATE INDEX memberships_user_idx ON memberships (user_id, created_at);
-- A tenant's members, oldest first.
CREATE INDEX memberships_tenant_created_idx ON memberships (tenant_id, created_at);

CREATE TABLE environments (
    tenant_id  uuid        NOT NULL,
    name       text        NOT NULL,
    position   integer     NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT environments_pkey PRIMARY KEY (tenant_id, name),
    CONSTRAINT environments_position_key UNIQUE (tenant_id, position),
    CONSTRAINT environments_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE assets (
    id          uuid        NOT NULL,
    tenant_id   uuid        NOT NULL,
    -- Byte order, so that pages by slug do not depend on the server's locale.
    slug        text        COLLATE "C" NOT NULL,
    name        text        NOT NULL,
    description text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT assets_pkey PRIMARY KEY (id),
    -- The target of the tenant-qualified foreign keys of versions and heads.
    CONSTRAINT assets_tenant_id_key UNIQUE (tenant_id, id),
    -- Lookup by slug and the listing ordered by slug.
    CONSTRAINT assets_tenant_slug_key UNIQUE (tenant_id, slug),
    CONSTRAINT assets_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE version_heads (
    tenant_id       uuid    NOT NULL,
    asset_id        uuid    NOT NULL,
    environment     text    NOT NULL,
    current_version integer NOT NULL,
    CONSTRAINT version_heads_pkey PRIMARY KEY (asset_id, environment),
    CONSTRAINT version_heads_asset_fkey FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT version_heads_environment_fkey FOREIGN KEY (tenant_id, environment)
        REFERENCES environments (tenant_id, name) ON DELETE CASCADE,
    CONSTRAINT version_heads_current_version_check CHECK (current_version >= 0)
);
CREATE INDEX version_heads_environment_idx ON version_heads (tenant_id, environment);

CREATE TABLE versions (
    tenant_id   uuid        NOT NULL,
    asset_id    uuid        NOT NULL,
    environment text        NOT NULL,
    number      integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    message     text        NOT NULL,
    source      text        NOT NULL,
    snapshot    jsonb       NOT NULL,
    -- Get, Current (highest number) and List (newest first) of one pair.
    CONSTRAINT versions_pkey PRIMARY KEY (asset_id, environment, number),
    CONSTRAINT versions_asset_fkey FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT versions_environment_fkey FOREIGN KEY (tenant_id, environment)
        REFERENCES environments (tenant_id, name) ON DELETE CASCADE,
    CONSTRAINT versions_number_check CHECK (number >= 1),
    CONSTRAINT versions_source_check CHECK (source IN ('edit', 'promote', 'rollback')),
    CONSTRAINT versions_snapshot_check CHECK (jsonb_typeof(snapshot) = 'object')
);
CREATE INDEX versions_environment_idx ON versions (tenant_id, environment);

CREATE TABLE api_keys (
    id          uuid        NOT NULL,
    tenant_id   uuid        NOT NULL,
    name        text        NOT NULL,
    prefix      text        NOT NULL,
    digest      bytea       NOT NULL,
    environment text,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    -- The pre-tenant lookup by digest.
    CONSTRAINT api_keys_digest_key UNIQUE (digest),
    CONSTRAINT api_keys_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT api_keys_environment_fkey FOREIGN KEY (tenant_id, environment)
        REFERENCES environments (tenant_id, name) ON DELETE CASCADE
);
-- A tenant's keys, newest first.
CREATE INDEX api_keys_tenant_created_idx ON api_keys (tenant_id, created_at, id);
CREATE INDEX api_keys_environment_idx ON api_keys (tenant_id, environment);

-- The audit chain: ordered by seq, never by timestamp.
CREATE TABLE audit_entries (
    tenant_id     uuid        NOT NULL,
    seq           bigint      NOT NULL,
    action        text        NOT NULL,
    actor         text        NOT NULL,
    target        text        NOT NULL,
    details       jsonb,
    created_at    timestamptz NOT NULL,
    previous_hash text        NOT NULL,
    hash          text        NOT NULL,
    CONSTRAINT audit_entries_pkey PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_entries_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT audit_entries_seq_check CHECK (seq >= 1)
);

CREATE TABLE audit_heads (
    tenant_id uuid   NOT NULL,
    seq       bigint NOT NULL,
    hash      text   NOT NULL,
    CONSTRAINT audit_heads_pkey PRIMARY KEY (tenant_id),
    CONSTRAINT audit_heads_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT audit_heads_seq_check CHECK (seq >= 0)
);

-- +goose Down
DROP TABLE audit_heads;
DROP TABLE audit_entries;
DROP TABLE api_keys;
DROP TABLE versions;
DROP TABLE version_heads;
DROP TABLE assets;
DROP TABLE environments;
DROP TABLE memberships;
DROP TABLE user_tokens;
DROP TABLE users;
DROP TABLE tenants;
