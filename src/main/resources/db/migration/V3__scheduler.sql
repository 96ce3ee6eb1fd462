-- Scheduled jobs, their runs, and the lease that fences the cluster's scheduler leader.

CREATE TABLE cron_jobs (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    task_name        text        NOT NULL,
    cron_expression  text        NOT NULL,
    timezone         text        NOT NULL DEFAULT 'UTC',
    payload          jsonb       NOT NULL DEFAULT '{}',
    enabled          boolean     NOT NULL DEFAULT true,
    -- forbid: a run is skipped while another run of the same job is running
    concurrency      text        NOT NULL DEFAULT 'forbid' CHECK (concurrency IN ('forbid', 'allow')),
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    last_run         timestamptz,
    next_run         timestamptz,
    -- set on the jobs created at first start, so they are created once
    system_key       text        UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cron_jobs_due ON cron_jobs (next_run) WHERE enabled;
CREATE INDEX cron_jobs_page ON cron_jobs (created_at, id);

CREATE TABLE job_runs (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id         uuid        NOT NULL REFERENCES cron_jobs (id) ON DELETE CASCADE,
    scheduled_for  timestamptz NOT NULL,
    trigger        text        NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status         text        NOT NULL CHECK (status IN ('pending', 'running', 'retrying', 'completed', 'failed', 'skipped')),
    node_id        text,
    -- the leader's lease epoch when it claimed this run (manual runs: null)
    epoch          bigint,
    lateness_ms    bigint      NOT NULL DEFAULT 0,
    attempts       integer     NOT NULL DEFAULT 0,
    lease_until    timestamptz,
    started_at     timestamptz,
    finished_at    timestamptz,
    error          text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- each scheduled instant of a job runs once, whoever claims it
CREATE UNIQUE INDEX job_runs_once ON job_runs (job_id, scheduled_for) WHERE trigger = 'schedule';
CREATE INDEX job_runs_page ON job_runs (job_id, scheduled_for DESC, id DESC);
CREATE INDEX job_runs_running ON job_runs (job_id) WHERE status = 'running';
CREATE INDEX job_runs_finished ON job_runs (finished_at);

CREATE TABLE task_logs (
    id       bigserial   PRIMARY KEY,
    run_id   uuid        NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL DEFAULT now(),
    level    text        NOT NULL,
    message  text        NOT NULL
);
CREATE INDEX task_logs_run ON task_logs (run_id, id);

-- One row: who leads the scheduler, under which epoch, until when. Every claim checks it.
CREATE TABLE scheduler_lease (
    id          integer     PRIMARY KEY CHECK (id = 1),
    holder      text,
    epoch       bigint      NOT NULL DEFAULT 0,
    since       timestamptz,
    expires_at  timestamptz
);
INSERT INTO scheduler_lease (id) VALUES (1);

-- Weekly schedules that generate_schedule turns into events.
CREATE TABLE schedules (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title              text        NOT NULL,
    trainer_id         uuid        REFERENCES members (id),
    location           text,
    capacity           integer     NOT NULL CHECK (capacity >= 1),
    waitlist_capacity  integer     NOT NULL DEFAULT 0 CHECK (waitlist_capacity >= 0),
    timezone           text        NOT NULL,
    days_of_week       text[]      NOT NULL CHECK (cardinality(days_of_week) >= 1),
    start_time         time        NOT NULL,
    duration_minutes   integer     NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    valid_from         date        NOT NULL,
    valid_until        date,
    deleted_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX schedules_page ON schedules (created_at, id);

ALTER TABLE events ADD COLUMN schedule_id uuid REFERENCES schedules (id);
-- generating twice creates no duplicate
CREATE UNIQUE INDEX events_schedule_occurrence ON events (schedule_id, starts_at) WHERE schedule_id IS NOT NULL;

-- One reminder per booking and reminder kind, however often the task runs.
CREATE TABLE reminders_sent (
    booking_id  uuid        NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (booking_id, kind)
);
