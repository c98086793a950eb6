-- Read audit: see migrations/postgres/00009_read_counts.sql.

-- +goose Up
CREATE TABLE read_counts (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor        TEXT    NOT NULL,
    asset        TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    hour         TEXT    NOT NULL,
    with_secrets INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (tenant_id, actor, asset, environment, hour, with_secrets)
) STRICT, WITHOUT ROWID;
CREATE INDEX read_counts_tenant_hour ON read_counts (tenant_id, hour);

-- +goose Down
DROP TABLE read_counts;
