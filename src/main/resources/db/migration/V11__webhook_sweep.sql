-- What the webhook sweeper scans: deliveries still under way, oldest due first. The relay now writes a pending
-- delivery (due now) for every webhook message it publishes, so a message the broker loses before any worker
-- claims it is noticed and published again.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
 WHERE status IN ('pending', 'sending');
