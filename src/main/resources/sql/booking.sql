-- The booking transaction, in one place. BookingRepository and BookingBatch run these statements, and
-- bench/run.sh turns the single-booking ones into the pgbench baseline script, so the baseline is the very
-- transaction the service runs. Each statement: "-- name:" then "-- params:" (the names of $1, $2, ...).

-- One booking (the per-request path): eligibility, then a seat, else a waitlist place, then the rows.

-- name: eligibility
-- params: event, member
SELECT m.status,
       EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = $1 AND b.member_id = $2 AND b.status <> 'cancelled') AS booked
FROM members m WHERE m.id = $2;

-- name: take_seat
-- params: event
UPDATE events SET booked_count = booked_count + 1, updated_at = now()
WHERE id = $1 AND status = 'scheduled' AND starts_at > now() AND booked_count < capacity;

-- name: take_waitlist_place
-- params: event
UPDATE events SET waitlist_count = waitlist_count + 1, updated_at = now()
WHERE id = $1 AND status = 'scheduled' AND starts_at > now() AND booked_count >= capacity
  AND waitlist_count < waitlist_capacity
RETURNING waitlist_count;

-- name: insert_booking
-- params: event, member, status, kind, traceparent, request_id
-- The outbox row also names the enabled webhook endpoints subscribed to its kind (w; none: no webhook fields), with
-- the booking as it was written: the subscription check costs no extra statement.
WITH b AS (INSERT INTO bookings (event_id, member_id, status) VALUES ($1, $2, $3)
           RETURNING id, event_id, member_id, status, created_at, updated_at),
     w AS (SELECT jsonb_agg(id) AS ids FROM webhook_endpoints WHERE enabled AND $4 = ANY(event_types)),
     o AS (INSERT INTO outbox (kind, payload, traceparent, request_id)
           SELECT $4, jsonb_build_object('bookingId', id, 'eventId', event_id, 'memberId', member_id, 'status', status)
                      || CASE WHEN w.ids IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('webhooks', w.ids,
                           'webhookType', $4, 'webhookAt', now(), 'webhookData', to_jsonb(b)) END,
                  $5, $6
           FROM b, w)
SELECT *, NULL::bigint AS waitlist_position FROM b;

-- Many bookings in one transaction (the coalescer): lock the events in id order (no deadlocks between batches),
-- look at every requester at once, decide in arrival order, then write counts and rows in two statements.

-- name: lock_events
-- params: events
SELECT id, capacity, booked_count, waitlist_capacity, waitlist_count,
       (status = 'scheduled' AND starts_at > now()) AS bookable
FROM events WHERE id = ANY($1) ORDER BY id FOR UPDATE;

-- name: batch_eligibility
-- params: events, members
SELECT r.i, m.status,
       EXISTS (SELECT 1 FROM bookings b WHERE b.event_id = r.event_id AND b.member_id = r.member_id
               AND b.status <> 'cancelled') AS booked
FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS r(event_id, member_id, i)
LEFT JOIN members m ON m.id = r.member_id
ORDER BY r.i;

-- name: batch_counts
-- params: events, booked, waitlisted
UPDATE events e SET booked_count = e.booked_count + c.booked, waitlist_count = e.waitlist_count + c.waitlisted,
                    updated_at = now()
FROM unnest($1::uuid[], $2::int[], $3::int[]) AS c(id, booked, waitlisted)
WHERE e.id = c.id;

-- name: batch_insert
-- params: events, members, statuses, traceparents, request_ids
WITH b AS (INSERT INTO bookings (event_id, member_id, status)
           SELECT r.event_id, r.member_id, r.status
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS r(event_id, member_id, status, i)
           ORDER BY r.i
           RETURNING id, event_id, member_id, status, created_at, updated_at),
     k AS (SELECT b.*, CASE WHEN status = 'confirmed' THEN 'booking.confirmed' ELSE 'booking.waitlisted' END AS kind
           FROM b),
     w AS (SELECT t.kind, jsonb_agg(e.id) AS ids
           FROM unnest(ARRAY['booking.confirmed', 'booking.waitlisted']) AS t(kind)
           JOIN webhook_endpoints e ON e.enabled AND t.kind = ANY(e.event_types) GROUP BY t.kind),
     -- each outbox row carries the trace context of the request that asked for its booking (a batch has one
     -- request per event and member)
     o AS (INSERT INTO outbox (kind, payload, traceparent, request_id)
           SELECT k.kind,
                  jsonb_build_object('bookingId', k.id, 'eventId', k.event_id, 'memberId', k.member_id, 'status', k.status)
                  || CASE WHEN w.ids IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('webhooks', w.ids,
                       'webhookType', k.kind, 'webhookAt', now(), 'webhookData', to_jsonb(k) - 'kind') END,
                  t.traceparent, t.request_id
           FROM k LEFT JOIN w ON w.kind = k.kind
                  JOIN unnest($1::uuid[], $2::uuid[], $4::text[], $5::text[]) AS t(event_id, member_id, traceparent, request_id)
                    ON t.event_id = k.event_id AND t.member_id = k.member_id)
SELECT *, NULL::bigint AS waitlist_position FROM b;
