-- What the webhook sweeper scans: deliveries still under way, oldest due first. The relay now writes a pending
-- delivery (due now) for every webhook message it publishes, so a message the broker loses before any worker
-- claims it is noticed and published again.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
 WHERE status IN ('pending', 'sending');

-- Answers kept for an Idempotency-Key no longer hold a webhook's signing secret (a replay puts back the
-- endpoint's current one): take it out of those kept before this version.
UPDATE idempotency_keys SET response_body = (response_body::jsonb - 'secret')::text
 WHERE status = 'done' AND response_status BETWEEN 200 AND 299 AND response_body LIKE '%"secret":"whsec%';
