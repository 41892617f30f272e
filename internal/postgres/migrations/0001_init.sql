-- Herald's first schema: the directory, the catalog, webhooks, events, deliveries, attempts, keys.

CREATE TABLE event_types (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    group_name  text NOT NULL DEFAULT '',
    schema      json,
    example     json,
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id         text PRIMARY KEY,
    email      text NOT NULL DEFAULT '',
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE organizations (
    id         text PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    organization_id text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE webhooks (
    id                     text PRIMARY KEY,
    user_id                text REFERENCES users (id),
    organization_id        text REFERENCES organizations (id),
    name                   text NOT NULL DEFAULT '',
    description            text NOT NULL DEFAULT '',
    url                    text NOT NULL,
    events                 text[] NOT NULL DEFAULT '{}',
    status                 text NOT NULL CHECK (status IN ('active', 'inactive', 'disabled')),
    disabled_reason        text NOT NULL DEFAULT '',
    headers                jsonb NOT NULL DEFAULT '{}',
    event_header           text NOT NULL DEFAULT '',
    timeout_seconds        integer NOT NULL,
    format                 text NOT NULL DEFAULT 'envelope',
    retry                  jsonb NOT NULL,
    signing                jsonb NOT NULL DEFAULT '{"scheme":"standard"}',
    secret_prefix          text NOT NULL DEFAULT 'whsec_',
    secret                 text NOT NULL,
    secret_hint            text NOT NULL,
    disable_after_failures integer NOT NULL DEFAULT 15,
    consecutive_failures   integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    CHECK ((user_id IS NULL) <> (organization_id IS NULL))
);
CREATE INDEX webhooks_user_idx ON webhooks (user_id) WHERE deleted_at IS NULL;
CREATE INDEX webhooks_organization_idx ON webhooks (organization_id) WHERE deleted_at IS NULL;

-- data is json, not jsonb: the publisher's bytes (key order, number text) are kept as sent.
CREATE TABLE events (
    id              text PRIMARY KEY,
    type            text NOT NULL,
    timestamp       timestamptz NOT NULL,
    user_id         text NOT NULL DEFAULT '',
    organization_id text NOT NULL DEFAULT '',
    data            json NOT NULL,
    request_hash    bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- body holds the exact bytes every attempt of this delivery sends.
CREATE TABLE deliveries (
    id               text PRIMARY KEY,
    event_id         text NOT NULL REFERENCES events (id),
    webhook_id       text NOT NULL REFERENCES webhooks (id),
    status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    last_status_code integer,
    next_attempt_at  timestamptz,
    body             bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX deliveries_webhook_idx ON deliveries (webhook_id, created_at DESC, id DESC);

CREATE TABLE attempts (
    delivery_id     text NOT NULL REFERENCES deliveries (id),
    number          integer NOT NULL,
    trigger         text NOT NULL CHECK (trigger IN ('auto', 'manual', 'test')),
    started_at      timestamptz NOT NULL,
    duration_ms     bigint NOT NULL,
    status_code     integer,
    error_kind      text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    request_headers jsonb NOT NULL DEFAULT '{}',
    response_body   text NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, number)
);

-- Only the SHA-256 of a key is kept.
CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    key_hash   bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
