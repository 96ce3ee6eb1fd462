-- book_batch (V9) again, with plans that stay right as the tables grow. Each database session plans the function's
-- statements once and keeps the plan; a plan made while `bookings` was empty (a new database, the first minutes of a
-- deployment) checked "already booked" by hashing every active booking (or scanning the table) on every batch:
-- measured, a hot event's batch held its row lock ~20 ms at 15,000 bookings instead of ~3, and it grows with the
-- table. Now that check is one index probe per request (a LATERAL subquery with LIMIT, which PostgreSQL cannot hash) and the
-- function never plans a sequential scan. Same rules, same answers.
CREATE OR REPLACE FUNCTION book_batch(p_events uuid[], p_members uuid[], p_traceparents text[], p_request_ids text[])
RETURNS TABLE (i bigint, outcome text, id uuid, event_id uuid, member_id uuid, status text, created_at timestamptz,
               updated_at timestamptz, waitlist_position bigint, locked_at timestamptz)
LANGUAGE plpgsql
-- every step is a keyed lookup: an index is always right, whatever the statistics said when the plan was made
SET enable_seqscan = off
AS $$
#variable_conflict use_column
DECLARE
  locked timestamptz;
BEGIN
  -- in id order, as every batch does: batches never deadlock
  PERFORM 1 FROM events e WHERE e.id = ANY (p_events) ORDER BY e.id FOR UPDATE OF e;
  locked := clock_timestamp();
  -- The next statement takes a fresh snapshot (a volatile function, read committed): it sees every booking
  -- committed before the locks were granted, as the separate statements of a transaction did.
  RETURN QUERY
  WITH r AS (
    SELECT a.i, a.event_id, a.member_id, a.traceparent, a.request_id, m.status AS member_status,
           bk.found IS NOT NULL AS booked,
           -- the same member asking twice for the same event in one batch: the second is already booked
           row_number() OVER (PARTITION BY a.event_id, a.member_id ORDER BY a.i) > 1 AS repeated
    FROM unnest(p_events, p_members, p_traceparents, p_request_ids) WITH ORDINALITY
         AS a(event_id, member_id, traceparent, request_id, i)
    LEFT JOIN members m ON m.id = a.member_id
    -- one index probe per request: a LATERAL with LIMIT is never turned into a hash of every active booking
    LEFT JOIN LATERAL (SELECT true AS found FROM bookings x WHERE x.event_id = a.event_id AND x.member_id = a.member_id
                       AND x.status <> 'cancelled' LIMIT 1) bk ON true),
  -- the refusals, checked in the order of a single booking's checks
  c AS (
    SELECT r.*, e.capacity, e.booked_count, e.waitlist_capacity, e.waitlist_count,
           CASE WHEN r.member_status IS NULL THEN 'not_found'
                WHEN r.member_status = 'suspended' THEN 'member_suspended'
                WHEN r.booked OR r.repeated THEN 'already_booked'
                WHEN e.id IS NULL THEN 'event_not_found'
                WHEN NOT (e.status = 'scheduled' AND e.starts_at > now()) THEN 'event_not_bookable'
           END AS refused
    FROM r LEFT JOIN events e ON e.id = r.event_id),
  -- the n-th request of an event that no rule refused takes its n-th free seat; past the seats (beyond > 0), its
  -- beyond-th free waitlist place; past those, nothing
  q AS (
    SELECT c.i, c.event_id, c.member_id, c.traceparent, c.request_id, c.waitlist_count,
           row_number() OVER (PARTITION BY c.event_id ORDER BY c.i) - greatest(c.capacity - c.booked_count, 0) AS beyond,
           greatest(c.waitlist_capacity - c.waitlist_count, 0) AS places
    FROM c WHERE c.refused IS NULL),
  d AS (
    SELECT q.*, CASE WHEN q.beyond <= 0 THEN 'confirmed' WHEN q.beyond <= q.places THEN 'waitlisted'
                     ELSE 'event_full' END AS decided
    FROM q),
  -- inserted in arrival order: the waitlist is served in seq order
  b AS (
    INSERT INTO bookings (event_id, member_id, status)
    SELECT d.event_id, d.member_id, d.decided FROM d WHERE d.decided IN ('confirmed', 'waitlisted') ORDER BY d.i
    RETURNING bookings.id, bookings.event_id, bookings.member_id, bookings.status, bookings.created_at,
              bookings.updated_at),
  n AS (
    UPDATE events e SET booked_count = e.booked_count + t.booked, waitlist_count = e.waitlist_count + t.waitlisted,
                        updated_at = now()
    FROM (SELECT b.event_id, count(*) FILTER (WHERE b.status = 'confirmed') AS booked,
                 count(*) FILTER (WHERE b.status = 'waitlisted') AS waitlisted
          FROM b GROUP BY b.event_id) t
    WHERE e.id = t.event_id),
  k AS (
    SELECT b.*, CASE WHEN b.status = 'confirmed' THEN 'booking.confirmed' ELSE 'booking.waitlisted' END AS kind
    FROM b),
  -- the outbox rows of sql/booking.sql's insert_booking, each with the trace context of the request that asked
  w AS (
    SELECT t.kind, jsonb_agg(we.id) AS ids
    FROM unnest(ARRAY['booking.confirmed', 'booking.waitlisted']) AS t(kind)
    JOIN webhook_endpoints we ON we.enabled AND t.kind = ANY (we.event_types) GROUP BY t.kind),
  o AS (
    INSERT INTO outbox (kind, payload, traceparent, request_id)
    SELECT k.kind,
           jsonb_build_object('bookingId', k.id, 'eventId', k.event_id, 'memberId', k.member_id, 'status', k.status)
           || CASE WHEN w.ids IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('webhooks', w.ids,
                'webhookType', k.kind, 'webhookAt', now(), 'webhookData', to_jsonb(k) - 'kind') END,
           d.traceparent, d.request_id
    FROM k LEFT JOIN w ON w.kind = k.kind JOIN d ON d.event_id = k.event_id AND d.member_id = k.member_id)
  SELECT c.i, coalesce(c.refused, d.decided), b.id, c.event_id, c.member_id, b.status, b.created_at, b.updated_at,
         CASE WHEN d.decided = 'waitlisted' THEN d.waitlist_count + d.beyond END, locked
  FROM c LEFT JOIN d ON d.i = c.i
         LEFT JOIN b ON d.decided IN ('confirmed', 'waitlisted') AND b.event_id = d.event_id AND b.member_id = d.member_id
  ORDER BY c.i;
END $$;
