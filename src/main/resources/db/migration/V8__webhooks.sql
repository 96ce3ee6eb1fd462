-- Partners' webhook endpoints and what was delivered to them (Standard Webhooks v1).
CREATE TABLE webhook_endpoints (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    url                 text        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    event_types         text[]      NOT NULL CHECK (cardinality(event_types) > 0),
    enabled             boolean     NOT NULL DEFAULT true,
    -- why it was disabled by the service (410 Gone, failing too long); NULL when an admin did it or it is on
    disabled_reason     text,
    secret              text        NOT NULL,
    -- after a rotation: the old secret, still used to sign until previous_secret_until
    previous_secret     text,
    previous_secret_until timestamptz,
    -- the first failure since the last success: failing for too long disables the endpoint
    failing_since       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_page ON webhook_endpoints (created_at, id);
-- The subscription check folded into every outbox insert: enabled endpoints by event type.
CREATE INDEX webhook_endpoints_subscribed ON webhook_endpoints USING gin (event_types) WHERE enabled;

-- One row per message and endpoint. The message id is the webhook-id header: stable across retries.
CREATE TABLE webhook_deliveries (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id       uuid        NOT NULL,
    endpoint_id      uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type       text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status_code integer,
    last_error       text,
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_once UNIQUE (message_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_page ON webhook_deliveries (endpoint_id, created_at, id);
