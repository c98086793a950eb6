-- Read audit: how many times each actor read the resolved configuration of
-- each asset and environment, per hour, with or without secrets. Counted in
-- memory by each process and added here at least every 10 seconds.

-- +goose Up
CREATE TABLE read_counts (
    tenant_id    uuid        NOT NULL,
    actor        text        NOT NULL,
    asset        text        NOT NULL,
    environment  text        NOT NULL,
    hour         timestamptz NOT NULL,
    with_secrets boolean     NOT NULL,
    count        bigint      NOT NULL,
    CONSTRAINT read_counts_pkey PRIMARY KEY (tenant_id, actor, asset, environment, hour, with_secrets),
    CONSTRAINT read_counts_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT read_counts_count_check CHECK (count > 0)
);
CREATE INDEX read_counts_tenant_hour_idx ON read_counts (tenant_id, hour DESC);

ALTER TABLE read_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE read_counts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON read_counts FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.current_tenant', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE ON read_counts TO configmat_app;

-- +goose Down
DROP TABLE read_counts;
