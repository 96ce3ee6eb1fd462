-- Seeds the benchmark database; bench/run.sh runs it with psql once the service has migrated the schema.
--   psql -v members=N -v warm=W -v base="'<timestamptz>'" -v b3_seats=S -f bench/seed.sql
-- Members bench-1 .. bench-N, then W warm-up members (subject bench-i, e-mail bench-i@bench.test; line i of
-- tokens.txt is the token of bench-i). Events get ids derived from a number n,
-- b0000000-0000-4000-8000-<n, 12 digits>, and start at base + n minutes (the wrk and pgbench scripts derive
-- ids and start times from n the same way):
--      1 ..  1000  B2 spread, the service's events: 50 seats, no waitlist (also what B4 browses)
--   1001 ..  2000  B2 spread, the baseline's events: 50 seats, no waitlist
--   3001 / 3002    B1 hot event: the service's / the baseline's copy, 1,000,000 seats
--   3003           B3 sell-out: b3_seats seats, no waitlist
--   4001 ..  4100  warm-up events
\set ON_ERROR_STOP on

INSERT INTO members (email, name, subject, role)
SELECT 'bench-' || i || '@bench.test', 'Bench member ' || i, 'bench-' || i, 'member'
FROM generate_series(1, :members + :warm) AS i;

INSERT INTO events (id, title, description, starts_at, ends_at, capacity, waitlist_capacity, location)
SELECT ('b0000000-0000-4000-8000-' || lpad(e.n::text, 12, '0'))::uuid, e.title, 'Seeded by bench/seed.sql',
       :base::timestamptz + e.n * interval '1 minute', :base::timestamptz + e.n * interval '1 minute' + interval '1 hour',
       e.seats, 0, 'Bench hall ' || (e.n % 7 + 1)
FROM (SELECT n, 'B2 spread #' || n, 50 FROM generate_series(1, 1000) AS n
      UNION ALL SELECT n, 'B2 baseline #' || n, 50 FROM generate_series(1001, 2000) AS n
      UNION ALL VALUES (3001, 'B1 hot event', 1000000), (3002, 'B1 hot event (baseline copy)', 1000000),
                       (3003, 'B3 sell-out', :b3_seats)
      UNION ALL SELECT n, 'Warm-up #' || n, 100000 FROM generate_series(4001, 4100) AS n) AS e(n, title, seats);

-- The B1 baseline takes members in order, without duplicates.
CREATE SEQUENCE bench_b1_seq;

-- The B2 baseline's random (member, event) pairs, drawn in advance so that each pair is distinct and no event
-- gets more than its 50 seats: a random permutation of the members, 50 consecutive ones per event, pairs shuffled.
CREATE SEQUENCE bench_b2_seq;
CREATE TABLE bench_pairs AS
WITH perm AS (
  SELECT id, row_number() OVER (ORDER BY random()) - 1 AS p
  FROM members WHERE subject LIKE 'bench-%' AND substr(subject, 7)::int <= :members
), slots AS (
  SELECT j, s, (j * 50 + s) % :members AS p FROM generate_series(0, 999) AS j, generate_series(0, 49) AS s
)
SELECT (row_number() OVER (ORDER BY random()))::int AS k, perm.id AS member,
       ('b0000000-0000-4000-8000-' || lpad((1001 + j)::text, 12, '0'))::uuid AS event
FROM slots JOIN perm USING (p);
ALTER TABLE bench_pairs ADD PRIMARY KEY (k);

VACUUM ANALYZE members;
VACUUM ANALYZE events;
VACUUM ANALYZE bench_pairs;
