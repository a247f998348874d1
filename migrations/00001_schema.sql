-- +goose Up

-- Tenants are the companies using NotERP. Every other table is scoped by
-- tenant, and every query filters on it.
CREATE TABLE tenants (
    id         text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    tenant     text NOT NULL REFERENCES tenants (id),
    id         text NOT NULL,
    roles      text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, id)
);

-- API tokens are stored as the SHA-256 of the plaintext only, so a copy of
-- this table cannot be used to call the API.
CREATE TABLE api_tokens (
    hash       bytea PRIMARY KEY,
    tenant     text NOT NULL,
    user_id    text NOT NULL,
    label      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    FOREIGN KEY (tenant, user_id) REFERENCES users (tenant, id)
);

CREATE INDEX api_tokens_user ON api_tokens (tenant, user_id);

-- Seller connections name the Amazon seller accounts a tenant has
-- authorized. Refresh tokens never live here: they are in the secret store.
CREATE TABLE seller_connections (
    tenant          text NOT NULL REFERENCES tenants (id),
    seller_id       text NOT NULL,
    region          text NOT NULL,
    marketplace_ids text[] NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, seller_id)
);

CREATE TABLE policies (
    tenant     text NOT NULL REFERENCES tenants (id),
    kind       text NOT NULL,
    version    integer NOT NULL CHECK (version > 0),
    document   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, kind, version)
);

-- action_requests is the API's own idempotency record. Temporal forgets a
-- workflow id after the namespace's retention period, so this row is what
-- keeps a repeated request from starting the same change twice.
CREATE TABLE action_requests (
    tenant          text NOT NULL,
    idempotency_key text NOT NULL,
    fingerprint     text NOT NULL,
    action_id       text NOT NULL,
    workflow_id     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- started_at is set once Temporal has accepted the workflow start.
    started_at      timestamptz,
    PRIMARY KEY (tenant, idempotency_key),
    UNIQUE (tenant, action_id)
);

-- actions is the projection of every action's status, written by the API at
-- reservation and by the workflow on each status change.
CREATE TABLE actions (
    tenant        text NOT NULL,
    id            text NOT NULL,
    kind          text NOT NULL,
    status        text NOT NULL,
    status_reason text NOT NULL DEFAULT '',
    resource      text NOT NULL,
    workflow_id   text NOT NULL,
    requester     text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- recorded_at is the workflow time of the newest status the workflow
    -- wrote; NULL until its first write. A write with an older time is
    -- ignored, so a delayed activity retry cannot move the status back.
    recorded_at   timestamptz,
    summary       jsonb,
    PRIMARY KEY (tenant, id)
);

CREATE INDEX actions_by_created ON actions (tenant, created_at DESC, id DESC);
CREATE INDEX actions_by_status ON actions (tenant, status, created_at DESC, id DESC);

-- resource_locks holds one row per locked resource (a listing, a campaign),
-- so two actions never write the same resource at once.
CREATE TABLE resource_locks (
    tenant      text NOT NULL,
    resource    text NOT NULL,
    action_id   text NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, resource)
);

-- executions marks each action's write to Amazon: "sending" before the
-- request leaves, "sent" with Amazon's answer.
CREATE TABLE executions (
    tenant        text NOT NULL,
    action_id     text NOT NULL,
    state         text NOT NULL,
    http_status   integer NOT NULL DEFAULT 0,
    request_id    text NOT NULL DEFAULT '',
    submission_id text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    PRIMARY KEY (tenant, action_id)
);

-- audit_log is the append-only ledger. Each row's hash covers its content
-- and the hash of the tenant's previous row, so removing or changing a row
-- breaks the chain.
CREATE TABLE audit_log (
    tenant    text NOT NULL,
    seq       bigint NOT NULL CHECK (seq > 0),
    action_id text NOT NULL DEFAULT '',
    actor     text NOT NULL,
    event     text NOT NULL,
    detail    jsonb NOT NULL,
    at        timestamptz NOT NULL,
    prev_hash text NOT NULL,
    hash      text NOT NULL,
    PRIMARY KEY (tenant, seq)
);

CREATE INDEX audit_log_by_action ON audit_log (tenant, action_id, seq);

-- +goose StatementBegin
CREATE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_reject_change();
DROP TABLE executions;
DROP TABLE resource_locks;
DROP TABLE actions;
DROP TABLE action_requests;
DROP TABLE policies;
DROP TABLE seller_connections;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE tenants;
