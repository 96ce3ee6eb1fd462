-- The data of `bench/run.sh --scale`, added to what bench/seed.sql and the small-data scenarios left:
--   psql -v members=1000000 -v events=100000 -v base="'<timestamptz>'" -f bench/seed_scale.sql
-- Generated inside PostgreSQL (generate_series), every row valid by construction:
--   members  a0000000-0000-4000-8001-<n>, n = 1..members: e-mail scale-n@scale.test, role member, no subject,
--            created 2025-06-01 + n seconds (older than the benchmark's own members: the deep pages are these).
--   events   b0000000-0000-4000-8001-<n>, n = 1..events: 40 seats and 10 waitlist places, starting 10 minutes
--            apart from base - 50 days (so they interleave with the seeded events B4 lists), full: booked_count 40,
--            waitlist_count 5.
--   bookings c0000000-0000-4000-8001-<k>, k = 1..50 x events: 50 per event, booking j (0..49) of event e by
--            member ((e - 1) x 50 + j) mod members + 1 (distinct within an event; each member books 5 events
--            20,000 apart when events = 100,000 and members = 1,000,000): j < 40 confirmed, 40..44 waitlisted,
--            45..49 cancelled; created 2026-01-01 + k ms.
--   events   b0000000-0000-4000-8000-<n>, n = 5001..6000: B2's events at scale (50 seats, no waitlist, empty),
--            starting at base + n minutes like bench/seed.sql's.
-- Loading is fast because the secondary indexes of the three tables are dropped first and rebuilt from their own
-- definitions afterwards (a unique index rebuilt is a uniqueness check of every row), and the foreign-key triggers
-- are off during the load (session_replication_role = replica): bench/run.sh checks the references, the counts
-- and booked_count / waitlist_count against the rows afterwards. CHECK constraints apply as always.
\set ON_ERROR_STOP on
\timing on
SET session_replication_role = replica;
SET maintenance_work_mem = '256MB';
SET synchronous_commit = off;

CREATE TEMP TABLE scale_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid IN ('members'::regclass, 'events'::regclass, 'bookings'::regclass)
  AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT name FROM scale_indexes LOOP
    EXECUTE 'DROP INDEX ' || r.name;
  END LOOP;
END $$;

INSERT INTO members (id, email, name, role, created_at, updated_at)
SELECT ('a0000000-0000-4000-8001-' || lpad(n::text, 12, '0'))::uuid, 'scale-' || n || '@scale.test',
       'Scale member ' || n, 'member', t, t
FROM generate_series(1, :members) AS n, LATERAL (SELECT timestamptz '2025-06-01 00:00:00+00' + n * interval '1 second') AS c(t);

INSERT INTO events (id, title, description, starts_at, ends_at, capacity, waitlist_capacity, booked_count,
                    waitlist_count, location, created_at, updated_at)
SELECT ('b0000000-0000-4000-8001-' || lpad(n::text, 12, '0'))::uuid, 'Scale event ' || n, 'Seeded by bench/seed_scale.sql',
       s, s + interval '1 hour', 40, 10, 40, 5, 'Scale hall ' || (n % 13 + 1), c, c
FROM generate_series(1, :events) AS n,
     LATERAL (SELECT :base::timestamptz - interval '50 days' + n * interval '10 minutes',
                     timestamptz '2025-06-01 00:00:00+00' + n * interval '1 minute') AS t(s, c);

INSERT INTO events (id, title, description, starts_at, ends_at, capacity, waitlist_capacity, location)
SELECT ('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'B2 spread at scale #' || n, 'Seeded by bench/seed_scale.sql',
       :base::timestamptz + n * interval '1 minute', :base::timestamptz + n * interval '1 minute' + interval '1 hour',
       50, 0, 'Bench hall ' || (n % 7 + 1)
FROM generate_series(5001, 6000) AS n;

INSERT INTO bookings (id, event_id, member_id, status, created_at, updated_at)
SELECT ('c0000000-0000-4000-8001-' || lpad(k::text, 12, '0'))::uuid,
       ('b0000000-0000-4000-8001-' || lpad(((k - 1) / 50 + 1)::text, 12, '0'))::uuid,
       ('a0000000-0000-4000-8001-' || lpad(((k - 1) % :members + 1)::text, 12, '0'))::uuid,
       CASE WHEN (k - 1) % 50 < 40 THEN 'confirmed' WHEN (k - 1) % 50 < 45 THEN 'waitlisted' ELSE 'cancelled' END,
       t, t
FROM generate_series(1, 50 * :events::bigint) AS k,
     LATERAL (SELECT timestamptz '2026-01-01 00:00:00+00' + k * interval '1 millisecond') AS c(t);

RESET session_replication_role;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT def FROM scale_indexes LOOP
    EXECUTE r.def;
  END LOOP;
END $$;

VACUUM ANALYZE members;
VACUUM ANALYZE events;
VACUUM ANALYZE bookings;
