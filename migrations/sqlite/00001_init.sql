-- The embedded store's schema. It mirrors the PostgreSQL schema table for
-- table; tenant isolation holds by query (every tenant-owned statement names
-- its tenant), and composite foreign keys keep every row's references inside
-- its own tenant. Times are UTC RFC 3339 text with microseconds, so they sort
-- and round-trip exactly; JSON is stored as text.

-- +goose Up
CREATE TABLE tenants (
    id          TEXT NOT NULL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    data_key_id TEXT NOT NULL,
    data_key    BLOB NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX tenants_created_at ON tenants (created_at);

CREATE TABLE users (
    id            TEXT NOT NULL PRIMARY KEY,
    -- Unique regardless of (ASCII) case, like PostgreSQL's lower(email) index.
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE user_tokens (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest     BLOB NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX user_tokens_user_id ON user_tokens (user_id);

CREATE TABLE memberships (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;

CREATE INDEX memberships_tenant_created ON memberships (tenant_id, created_at);
CREATE INDEX memberships_user_created ON memberships (user_id, created_at);
CREATE INDEX memberships_tenant_role ON memberships (tenant_id, role);

CREATE TABLE environments (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name),
    UNIQUE (tenant_id, position)
) STRICT;

CREATE TABLE assets (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    slug        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
) STRICT;

CREATE TABLE version_heads (
    tenant_id       TEXT NOT NULL,
    asset_id        TEXT NOT NULL,
    environment     TEXT NOT NULL,
    current_version INTEGER NOT NULL DEFAULT 0 CHECK (current_version >= 0),
    PRIMARY KEY (tenant_id, asset_id, environment),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, environment) REFERENCES environments (tenant_id, name) ON DELETE CASCADE
) STRICT;

CREATE INDEX version_heads_environment ON version_heads (tenant_id, environment);

CREATE TABLE versions (
    tenant_id   TEXT NOT NULL,
    asset_id    TEXT NOT NULL,
    environment TEXT NOT NULL,
    number      INTEGER NOT NULL CHECK (number > 0),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    message     TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('edit', 'promote', 'rollback')),
    snapshot    TEXT NOT NULL CHECK (json_type(snapshot) = 'object'),
    PRIMARY KEY (tenant_id, asset_id, environment, number),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, environment) REFERENCES environments (tenant_id, name) ON DELETE CASCADE
) STRICT;

CREATE INDEX versions_environment ON versions (tenant_id, environment);

CREATE TABLE api_keys (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    digest      BLOB NOT NULL UNIQUE,
    environment TEXT,
    expires_at  TEXT,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, environment) REFERENCES environments (tenant_id, name) ON DELETE CASCADE
) STRICT;

CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at);
CREATE INDEX api_keys_environment ON api_keys (tenant_id, environment);

CREATE TABLE audit_entries (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL CHECK (seq > 0),
    action        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    target        TEXT NOT NULL,
    details       TEXT NOT NULL CHECK (json_valid(details)),
    created_at    TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_heads (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL CHECK (seq > 0),
    hash      TEXT NOT NULL
) STRICT;

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
