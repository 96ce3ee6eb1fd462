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
                           'webhookType', $4::text, 'webhookAt', now(), 'webhookData', to_jsonb(b)) END,
                  $5, $6
           FROM b, w)
SELECT *, NULL::bigint AS waitlist_position FROM b;

-- Many bookings in one round trip (the coalescer): the function book_batch (db/migration/V9__booking_batch.sql) locks
-- the events in id order (no deadlocks between batches), looks at every requester, decides in arrival order and
-- writes the bookings, their outbox rows (as insert_booking writes them) and the counts. Sent alone, outside any
-- explicit transaction: it commits as it ends, so the events' rows are never locked across a network round trip.

-- name: book_batch
-- params: events, members, traceparents, request_ids
SELECT * FROM book_batch($1::uuid[], $2::uuid[], $3::text[], $4::text[]);
