-- A member's recent deliveries per channel: the hourly SMS and push caps count them before each send.
CREATE INDEX notification_deliveries_member_recent ON notification_deliveries (member_id, channel, updated_at);

-- When members changed their phone number: a member may do so only a few times a day.
CREATE TABLE member_phone_changes (
    member_id   uuid        NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX member_phone_changes_recent ON member_phone_changes (member_id, changed_at);
