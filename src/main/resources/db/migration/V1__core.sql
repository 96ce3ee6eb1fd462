-- Members, events, bookings, the outbox and idempotency keys.
-- The invariants of openapi.yaml are enforced here too, so a bug in Java cannot overbook.

CREATE TABLE members (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email       text        NOT NULL,
    name        text        NOT NULL,
    phone       text,
    role        text        NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'trainer', 'member')),
    status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    subject     text,
    channels    text[]      NOT NULL DEFAULT '{email}'
                            CHECK (cardinality(channels) >= 1 AND channels <@ ARRAY['email', 'sms', 'push']),
    push_token  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX members_email_key ON members (lower(email));
CREATE UNIQUE INDEX members_subject_key ON members (subject) WHERE subject IS NOT NULL;
CREATE INDEX members_page ON members (created_at, id);
CREATE INDEX members_role_page ON members (role, created_at, id);

CREATE TABLE events (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title              text        NOT NULL,
    description        text,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    -- the API caps capacity at 100000; the database only insists on a positive one
    capacity           integer     NOT NULL CHECK (capacity >= 1),
    waitlist_capacity  integer     NOT NULL DEFAULT 0 CHECK (waitlist_capacity >= 0),
    booked_count       integer     NOT NULL DEFAULT 0,
    waitlist_count     integer     NOT NULL DEFAULT 0,
    trainer_id         uuid        REFERENCES members (id),
    location           text,
    status             text        NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT events_booked_within_capacity CHECK (booked_count >= 0 AND booked_count <= capacity),
    CONSTRAINT events_waitlist_within_capacity CHECK (waitlist_count >= 0 AND waitlist_count <= waitlist_capacity)
);
CREATE INDEX events_page ON events (starts_at, id);
CREATE INDEX events_trainer_page ON events (trainer_id, starts_at, id);

CREATE TABLE bookings (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id    uuid        NOT NULL REFERENCES events (id),
    member_id   uuid        NOT NULL REFERENCES members (id),
    status      text        NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled', 'attended')),
    -- global arrival order; the waitlist is served in this order
    seq         bigserial   NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- At most one active booking per member and event.
CREATE UNIQUE INDEX bookings_one_active_per_member ON bookings (event_id, member_id) WHERE status <> 'cancelled';
CREATE INDEX bookings_waitlist ON bookings (event_id, seq) WHERE status = 'waitlisted';
CREATE INDEX bookings_event_page ON bookings (event_id, created_at, id);
CREATE INDEX bookings_member_page ON bookings (member_id, created_at, id);
CREATE INDEX bookings_page ON bookings (created_at, id);

-- Written in the same transaction as the change it announces; a relay publishes it (README, Notifications).
CREATE TABLE outbox (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind          text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

-- The first response to a POST with an Idempotency-Key, per caller, for replay.
CREATE TABLE idempotency_keys (
    caller            text        NOT NULL,
    key               text        NOT NULL,
    request_hash      text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('in_flight', 'done')),
    response_status   integer,
    response_headers  jsonb,
    response_body     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
