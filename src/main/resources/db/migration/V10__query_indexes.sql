-- Indexes that statements need once their tables are big (db/QueryPlansTest.java explains every statement the
-- service sends, on a seeded database, and fails on a sequential scan of a big table). A booking writes no more
-- index entries than before: of the tables it writes, only outbox gets an index, partial, without the rows it inserts.

-- The outbox purge (cron/TaskRepository.java): published rows past their retention, by publication time.
-- Partial: rows are inserted unpublished, so the insert in the booking transaction does not touch it; the relay's
-- update that marks a row published (never a HOT update: it leaves outbox_unpublished) adds the entry.
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- The webhook half of the deliveries purge (cron/TaskRepository.java): finished deliveries past their retention,
-- by creation time (the purge checks status and updated_at on these rows). Not partial on status: created_at never
-- changes, so the updates of each attempt stay HOT, as they were.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- The run sweeper (cron/CronRepository.java, takeStuckRuns): running or retrying runs past their lease, oldest lease
-- first. Partial: the finished runs, nearly all of them, are not in it.
CREATE INDEX job_runs_stuck ON job_runs (lease_until) WHERE status IN ('running', 'retrying');

-- The deliveries list without a status filter (notifications/NotificationRepository.java, list), in its page order;
-- with a filter it reads notification_deliveries_status_page. One more entry per delivery written by the workers
-- (their updates were not HOT before: status is indexed), none on the booking path.
CREATE INDEX notification_deliveries_page ON notification_deliveries (created_at, id);
