-- FLOps.Orleans: the project's own tables. Idempotent (safe to apply any number of times).
-- Applied after 01-main.sql .. 04-reminders.sql; flops_schema records what is present so the
-- application can check the schema before it starts.

-- Content-addressed blobs: model versions and device updates, keyed by SHA-256 hash, written once.
CREATE TABLE IF NOT EXISTS flops_blobs
(
    hash       text        PRIMARY KEY,
    bytes      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- An update is journaled before it is acknowledged; the primary key makes it idempotent per
-- device and round.
CREATE TABLE IF NOT EXISTS flops_update_journal
(
    project_id    text             NOT NULL,
    round         integer          NOT NULL,
    device_id     text             NOT NULL,
    update_hash   text             NOT NULL REFERENCES flops_blobs (hash),
    sample_count  bigint           NOT NULL,
    training_loss double precision NOT NULL,
    accepted_at   timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, round, device_id)
);

-- Lets blobs referenced by the journal be found (and their references checked) without a scan.
CREATE INDEX IF NOT EXISTS ix_flops_update_journal_update_hash
    ON flops_update_journal (update_hash);

CREATE TABLE IF NOT EXISTS flops_schema
(
    component  text        PRIMARY KEY,
    version    integer     NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO flops_schema (component, version) VALUES
    ('orleans-main', 1),
    ('orleans-clustering', 1),
    ('orleans-persistence', 1),
    ('orleans-reminders', 1),
    ('flops', 1)
ON CONFLICT (component) DO UPDATE
    SET version = EXCLUDED.version, applied_at = now()
    WHERE flops_schema.version IS DISTINCT FROM EXCLUDED.version;
