-- One row per notification and channel: the worker's record of what it delivered. The unique key makes a
-- redelivered message a no-op (delivery is at least once; sending is once).
CREATE TABLE notification_deliveries (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    notification_id  uuid        NOT NULL,
    channel          text        NOT NULL,
    kind             text        NOT NULL,
    member_id        uuid,
    payload          jsonb       NOT NULL,
    -- sending: a worker holds it until lease_until (a crashed worker's claim expires)
    status           text        NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    lease_until      timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CONSTRAINT notification_deliveries_once UNIQUE (notification_id, channel)
);
CREATE INDEX notification_deliveries_status_page ON notification_deliveries (status, created_at, id);

-- Wakes the relay (LISTEN roster_outbox) when outbox rows are committed; the relay also polls slowly.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('roster_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
