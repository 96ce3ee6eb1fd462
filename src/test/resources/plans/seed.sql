-- Rows for QueryPlansTest: enough that a sequential scan of a big table costs the planner more than an index,
-- with the proportions production has (most bookings confirmed, most outbox rows published, most deliveries
-- done, most runs finished). Ids are md5 of a row number, so rows can name each other without a join.

-- Secondary indexes are built once after the load (far cheaper than maintaining them row by row), from their
-- own definitions: the schema planned against is the migrated one. Constraint indexes stay.
CREATE TEMP TABLE seeded_indexes AS
SELECT pg_get_indexdef(i.indexrelid) AS definition, i.indexrelid::regclass::text AS name
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT name FROM seeded_indexes LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP;
END $$;

INSERT INTO members (id, email, name, phone, role, status, subject, channels, push_token, created_at)
SELECT md5('m' || i)::uuid, 'member' || i || '@example.org', 'Member ' || i,
       CASE WHEN i % 3 = 0 THEN '+4479' || lpad(i::text, 8, '0') END,
       CASE WHEN i % 1000 = 0 THEN 'admin' WHEN i % 100 = 0 THEN 'trainer' ELSE 'member' END,
       CASE WHEN i % 50 = 0 THEN 'suspended' ELSE 'active' END,
       'subject-' || i,
       CASE WHEN i % 4 = 0 THEN ARRAY['email', 'sms'] ELSE ARRAY['email'] END,
       CASE WHEN i % 5 = 0 THEN 'token-' || i END,
       now() - make_interval(mins => 100000 - i)
FROM generate_series(1, 100000) AS i;

INSERT INTO schedules (id, title, trainer_id, capacity, timezone, days_of_week, start_time, duration_minutes,
                       valid_from, valid_until, deleted_at)
SELECT md5('s' || i)::uuid, 'Class ' || i, md5('m' || (i * 100))::uuid, 20, 'Europe/London', ARRAY['MON', 'THU'],
       time '18:00', 60, date '2024-01-01', CASE WHEN i % 4 = 0 THEN date '2025-01-01' END,
       CASE WHEN i % 10 = 0 THEN now() END
FROM generate_series(1, 200) AS i;

-- two years back, a month ahead; every tenth from a schedule
INSERT INTO events (id, title, starts_at, ends_at, capacity, waitlist_capacity, trainer_id, location, status,
                    schedule_id, created_at)
SELECT md5('e' || i)::uuid, 'Event ' || i, t, t + interval '1 hour', 20, 5, md5('m' || ((i % 1000 + 1) * 100))::uuid,
       'Room ' || (i % 10), CASE WHEN i % 20 = 0 THEN 'cancelled' ELSE 'scheduled' END,
       CASE WHEN i % 10 = 0 THEN md5('s' || (i % 200 + 1))::uuid END, t - interval '30 days'
FROM generate_series(1, 10000) AS i, LATERAL (SELECT now() - interval '700 days' + i * interval '105 minutes') AS x(t);

-- one active booking per member and event: member i mod 100000, event shifted by half the events on each lap
INSERT INTO bookings (id, event_id, member_id, status, created_at)
SELECT md5('b' || i)::uuid, md5('e' || ((i + (i / 100000) * 5000) % 10000 + 1))::uuid, md5('m' || (i % 100000 + 1))::uuid,
       CASE WHEN i % 100 < 85 THEN 'confirmed' WHEN i % 100 < 90 THEN 'waitlisted'
            WHEN i % 100 < 97 THEN 'cancelled' ELSE 'attended' END,
       now() - make_interval(secs => 200000 - i)
FROM generate_series(0, 199999) AS i;

INSERT INTO reminders_sent (booking_id, kind)
SELECT md5('b' || i)::uuid, 'event.reminder' FROM generate_series(0, 19999) AS i;

INSERT INTO member_phone_changes (member_id, changed_at)
SELECT md5('m' || (i % 100000 + 1))::uuid, now() - make_interval(mins => i) FROM generate_series(1, 10000) AS i;

-- all published but the newest 100
INSERT INTO outbox (kind, payload, created_at, published_at)
SELECT 'booking.confirmed', jsonb_build_object('bookingId', md5('b' || i)::uuid, 'memberId', md5('m' || (i % 100000 + 1))::uuid),
       now() - make_interval(secs => 100000 - i), CASE WHEN i <= 99900 THEN now() - make_interval(secs => 99990 - i) END
FROM generate_series(1, 100000) AS i;

-- done but for a few hundred under way
INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, status, attempts,
                                     created_at, updated_at, sent_at, next_attempt_at, lease_until)
SELECT md5('n' || i)::uuid, CASE WHEN i % 4 = 0 THEN 'sms' ELSE 'email' END, 'booking.confirmed',
       md5('m' || (i % 100000 + 1))::uuid, '{}',
       CASE WHEN i % 1000 = 0 THEN 'pending' WHEN i % 1000 = 1 THEN 'sending' WHEN i % 100 = 2 THEN 'failed' ELSE 'sent' END,
       1, now() - make_interval(secs => 100000 - i), now() - make_interval(secs => 100000 - i),
       now() - make_interval(secs => 100000 - i),
       CASE WHEN i % 1000 IN (0, 1) THEN now() END, CASE WHEN i % 1000 = 1 THEN now() END
FROM generate_series(1, 100000) AS i;

INSERT INTO idempotency_keys (caller, key, request_hash, status, response_status, created_at, expires_at)
SELECT 'member:' || (i % 100000), 'key-' || i, md5(i::text), 'done', 201, now() - make_interval(secs => 50000 - i),
       now() + interval '1 day' - make_interval(secs => 50000 - i)
FROM generate_series(1, 50000) AS i;

INSERT INTO webhook_endpoints (id, url, event_types, enabled, secret)
SELECT md5('w' || i)::uuid, 'https://partner' || i || '.example.org/hooks', ARRAY['booking.confirmed', 'booking.cancelled'],
       i % 5 <> 0, 'whsec_' || md5(i::text)
FROM generate_series(1, 10) AS i;

INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload, status, attempts, created_at, updated_at)
SELECT md5('wm' || i)::uuid, md5('w' || (i % 10 + 1))::uuid, 'booking.confirmed', '{}',
       CASE WHEN i % 1000 = 0 THEN 'pending' WHEN i % 100 = 1 THEN 'failed' ELSE 'succeeded' END, 1,
       now() - make_interval(secs => 50000 - i), now() - make_interval(secs => 50000 - i)
FROM generate_series(1, 50000) AS i;

INSERT INTO cron_jobs (id, task_name, cron_expression, next_run, system_key)
SELECT md5('j' || i)::uuid, 'purge_expired', '0 * * * *', now() + interval '1 hour', 'plans-' || i
FROM generate_series(1, 5) AS i;

-- finished but for a few running or retrying
INSERT INTO job_runs (id, job_id, scheduled_for, trigger, status, attempts, lease_until, started_at, finished_at)
SELECT md5('r' || i)::uuid, md5('j' || (i % 5 + 1))::uuid, now() - make_interval(mins => 50000 - i), 'schedule',
       CASE WHEN i % 1000 = 0 THEN 'running' WHEN i % 1000 = 1 THEN 'retrying' ELSE 'completed' END, 1,
       CASE WHEN i % 1000 IN (0, 1) THEN now() END, now() - make_interval(mins => 50000 - i),
       CASE WHEN i % 1000 NOT IN (0, 1) THEN now() - make_interval(mins => 50000 - i) END
FROM generate_series(1, 50000) AS i;

INSERT INTO task_logs (run_id, level, message)
SELECT md5('r' || (i % 50000 + 1))::uuid, 'info', 'step ' || i FROM generate_series(1, 20000) AS i;

DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT definition FROM seeded_indexes LOOP EXECUTE r.definition; END LOOP;
END $$;
DROP TABLE seeded_indexes;

ANALYZE;
