-- When each delivery's next attempt is due, so that a message lost by the broker (a purged delay queue, a lost
-- node's queue, a dropped dead letter) is noticed and published again by the delivery sweeper. pending: when
-- its message should reach a worker (published now, or back from a delay queue); sending: when the worker's
-- lease ends.
ALTER TABLE notification_deliveries ADD COLUMN next_attempt_at timestamptz;

-- Deliveries under way when this migration runs are due now: the sweeper looks at them after its grace.
UPDATE notification_deliveries SET next_attempt_at = COALESCE(lease_until, now())
 WHERE status IN ('pending', 'sending');

-- What the sweeper scans: only deliveries still under way, oldest due first.
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
 WHERE status IN ('pending', 'sending');
