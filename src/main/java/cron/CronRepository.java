package cron;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.Cursor;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** SQL of the scheduler: jobs, the leader lease, claims, runs and their logs. */
public final class CronRepository {

  /** The leader lease row; holder and epoch say who may claim, until expiresAt. */
  public record Lease(String holder, long epoch, OffsetDateTime since, OffsetDateTime expiresAt, boolean live) {
  }

  /** What a task worker found when it tried to start a run. */
  public enum Start { STARTED, SKIPPED, DONE, BUSY }

  /** A run a worker may execute, with its job's task and payload. */
  public record RunnableRun(UUID runId, UUID jobId, String taskName, JsonObject payload, int attempts) {
  }

  // ---- jobs

  public Future<CronJob> insert(SqlClient db, String taskName, String expression, String timezone, JsonObject payload,
                                boolean enabled, String concurrency, Instant nextRun, String systemKey) {
    return db.preparedQuery("INSERT INTO cron_jobs (task_name, cron_expression, timezone, payload, enabled, concurrency, "
            + "next_run, system_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (system_key) DO NOTHING "
            + "RETURNING " + CronJob.COLUMNS)
        .execute(Tuple.tuple().addString(taskName).addString(expression).addString(timezone).addValue(payload)
            .addBoolean(enabled).addString(concurrency).addOffsetDateTime(utc(nextRun)).addString(systemKey))
        .map(CronRepository::firstJob);
  }

  public Future<CronJob> findById(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + CronJob.COLUMNS + " FROM cron_jobs WHERE id = $1")
        .execute(Tuple.of(id))
        .map(CronRepository::firstJob);
  }

  public Future<List<CronJob>> all(SqlClient db) {
    return db.query("SELECT " + CronJob.COLUMNS + " FROM cron_jobs ORDER BY created_at, id")
        .execute()
        .map(rows -> {
          List<CronJob> jobs = new ArrayList<>();
          rows.forEach(r -> jobs.add(CronJob.from(r)));
          return jobs;
        });
  }

  /** now() by the database's clock: the one clock jobs are scheduled and runs stamped by, whatever the node's says. */
  public Future<Instant> now(SqlClient db) {
    return db.query("SELECT now() AS now").execute()
        .map(rows -> rows.iterator().next().getOffsetDateTime("now").toInstant());
  }

  /** Jobs due now, and now by the database's clock: the one clock every scheduler node computes instants from. */
  public record Due(Instant now, List<CronJob> jobs) {
  }

  /** Enabled jobs whose next run is due, oldest first, with the database's now() (null when none is due). */
  public Future<Due> due(SqlClient db, int limit) {
    return db.preparedQuery("SELECT now() AS db_now, " + CronJob.COLUMNS + " FROM cron_jobs WHERE enabled "
            + "AND next_run <= now() ORDER BY next_run LIMIT $1")
        .execute(Tuple.of(limit))
        .map(rows -> {
          List<CronJob> jobs = new ArrayList<>();
          Instant now = null;
          for (Row r : rows) {
            now = r.getOffsetDateTime("db_now").toInstant();
            jobs.add(CronJob.from(r));
          }
          return new Due(now, jobs);
        });
  }

  public Future<CronJob> update(SqlClient db, UUID id, String expression, String timezone, Boolean enabled,
                                JsonObject payload, String concurrency, Instant nextRun) {
    return db.preparedQuery("UPDATE cron_jobs SET cron_expression = COALESCE($2, cron_expression), "
            + "timezone = COALESCE($3, timezone), enabled = COALESCE($4, enabled), payload = COALESCE($5, payload), "
            + "concurrency = COALESCE($6, concurrency), next_run = $7, updated_at = now() WHERE id = $1 "
            + "RETURNING " + CronJob.COLUMNS)
        .execute(Tuple.tuple().addUUID(id).addString(expression).addString(timezone).addBoolean(enabled)
            .addValue(payload).addString(concurrency).addOffsetDateTime(utc(nextRun)))
        .map(CronRepository::firstJob);
  }

  public Future<Boolean> delete(SqlClient db, UUID id) {
    return db.preparedQuery("DELETE FROM cron_jobs WHERE id = $1").execute(Tuple.of(id)).map(r -> r.rowCount() == 1);
  }

  // ---- the leader lease

  public Future<Lease> lease(SqlClient db) {
    return db.query("SELECT holder, epoch, since, expires_at, expires_at > now() AS live FROM scheduler_lease WHERE id = 1")
        .execute()
        .map(rows -> lease(rows.iterator().next()));
  }

  /**
   * Milliseconds until the lease expires, by the database's clock (so followers need not trust their own);
   * negative once it has expired, null when nobody ever held it. A plain read: it takes no lock.
   */
  public Future<Long> leaseRemainingMs(SqlClient db) {
    return db.query("SELECT (extract(epoch FROM expires_at - now()) * 1000)::bigint AS remaining FROM scheduler_lease "
            + "WHERE id = 1")
        .execute()
        .map(rows -> rows.iterator().next().getLong("remaining"));
  }

  /** Takes the lease when nobody holds a live one; the epoch goes up, which fences every earlier holder. */
  public Future<Lease> acquire(SqlClient db, String node, int seconds) {
    return db.preparedQuery("UPDATE scheduler_lease SET holder = $1, epoch = epoch + 1, since = now(), "
            + "expires_at = now() + make_interval(secs => $2) WHERE id = 1 AND (holder IS NULL OR expires_at <= now()) "
            + "RETURNING holder, epoch, since, expires_at, true AS live")
        .execute(Tuple.of(node, seconds))
        .map(rows -> rows.size() == 0 ? null : lease(rows.iterator().next()));
  }

  /** Extends our lease; false when it is no longer ours (expired and taken, or never ours). */
  public Future<Boolean> renew(SqlClient db, String node, long epoch, int seconds) {
    return db.preparedQuery("UPDATE scheduler_lease SET expires_at = now() + make_interval(secs => $3) "
            + "WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > now()")
        .execute(Tuple.of(node, epoch, seconds))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Gives the lease up at once (a clean shutdown), so the next leader need not wait for it to expire. */
  public Future<Void> release(SqlClient db, String node, long epoch) {
    return db.preparedQuery("UPDATE scheduler_lease SET expires_at = now() WHERE id = 1 AND holder = $1 AND epoch = $2")
        .execute(Tuple.of(node, epoch))
        .mapEmpty();
  }

  // ---- claims (in one transaction, by the leader)

  /**
   * The fence: holds the lease row (FOR SHARE) for the rest of the claim's transaction, so no other node can take
   * the lease meanwhile, and answers whether it is still ours under this epoch.
   */
  public Future<Boolean> holdLease(SqlClient tx, String node, long epoch) {
    return tx.preparedQuery("SELECT 1 FROM scheduler_lease WHERE id = 1 AND holder = $1 AND epoch = $2 "
            + "AND expires_at > now() FOR SHARE")
        .execute(Tuple.of(node, epoch))
        .map(rows -> rows.size() == 1);
  }

  /** Moves a job from this instant to the following one; false when someone else already did. */
  public Future<Boolean> advance(SqlClient tx, UUID jobId, Instant current, Instant following) {
    return tx.preparedQuery("UPDATE cron_jobs SET next_run = $3, last_run = $2, updated_at = now() "
            + "WHERE id = $1 AND next_run = $2 AND enabled")
        .execute(Tuple.of(jobId, utc(current), utc(following)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** @return the new run, or null when this instant already has one */
  public Future<JobRun> insertRun(SqlClient tx, UUID jobId, Instant scheduledFor, String trigger, String node,
                                  Long epoch, long latenessMs) {
    return tx.preparedQuery("INSERT INTO job_runs (job_id, scheduled_for, trigger, status, node_id, epoch, lateness_ms) "
            + "VALUES ($1, $2, $3, 'pending', $4, $5, $6) ON CONFLICT DO NOTHING RETURNING " + JobRun.COLUMNS)
        .execute(Tuple.tuple().addUUID(jobId).addOffsetDateTime(utc(scheduledFor)).addString(trigger).addString(node)
            .addLong(epoch).addLong(latenessMs))
        .map(rows -> rows.size() == 0 ? null : JobRun.from(rows.iterator().next()));
  }

  /** Queues a run for the task workers, through the outbox (published to {ns}.tasks by the relay). */
  public Future<Void> enqueue(SqlClient tx, JobRun run, String taskName, JsonObject payload, int retry) {
    return insertTaskMessage(tx, run.id(), run.jobId(), taskName, payload, retry);
  }

  /** The one shape of a task message, as task workers read it; the relay publishes it with the run id as id. */
  private Future<Void> insertTaskMessage(SqlClient db, UUID runId, UUID jobId, String taskName, JsonObject payload,
                                         int retry) {
    JsonObject message = new JsonObject().put("runId", runId.toString()).put("jobId", jobId.toString())
        .put("taskName", taskName).put("payload", payload).put("retry", retry);
    // the claim's (or the API request's) trace context, so the run continues its trace
    tracing.TraceStamp trace = tracing.TraceStamp.current();
    return db.preparedQuery("INSERT INTO outbox (kind, payload, traceparent, request_id) VALUES ('task.run', $1, $2, $3)")
        .execute(Tuple.of(message, trace.traceparent(), trace.requestId()))
        .mapEmpty();
  }

  // ---- the run sweeper

  /**
   * Takes the runs that sit {@code running} or {@code retrying} more than {@code graceMs} past their lease (their
   * worker died, or their retry message was lost) and moves each lease to now, so the next sweep leaves them
   * alone for another grace. One statement: sweepers on several nodes never take the same run.
   */
  public Future<List<RunnableRun>> takeStuckRuns(SqlClient db, long graceMs, int limit) {
    return db.preparedQuery("UPDATE job_runs r SET lease_until = now() FROM cron_jobs j WHERE j.id = r.job_id "
            + "AND r.id IN (SELECT id FROM job_runs WHERE status IN ('running', 'retrying') "
            + "AND lease_until < now() - make_interval(secs => $1) ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED) "
            + "RETURNING r.id, r.job_id, r.attempts, j.task_name, j.payload")
        .execute(Tuple.of(graceMs / 1000.0, limit))
        .map(rows -> {
          List<RunnableRun> runs = new ArrayList<>();
          rows.forEach(r -> runs.add(new RunnableRun(r.getUUID("id"), r.getUUID("job_id"), r.getString("task_name"),
              (JsonObject) r.getValue("payload"), r.getInteger("attempts"))));
          return runs;
        });
  }

  /** Queues a run again, as its next retry; the worker's start decides whether anything is left to run. */
  public Future<Void> requeue(SqlClient db, RunnableRun run) {
    return insertTaskMessage(db, run.runId(), run.jobId(), run.taskName(), run.payload(), run.attempts());
  }

  // ---- runs (task workers)

  /**
   * Starts a run: locks its job (so "forbid" is decided one run at a time), then starts it, skips it because
   * another run of the job is running, or reports it done or held by a live worker.
   */
  public Future<Start> start(SqlClient tx, UUID runId, String node, long leaseMs) {
    return tx.preparedQuery("SELECT r.status, r.job_id, r.lease_until > now() AS held, j.concurrency FROM job_runs r "
            + "JOIN cron_jobs j ON j.id = r.job_id WHERE r.id = $1 FOR UPDATE OF j, r")
        .execute(Tuple.of(runId))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Start.DONE);
          }
          Row r = rows.iterator().next();
          String status = r.getString("status");
          if (List.of("completed", "failed", "skipped").contains(status)) {
            return Future.succeededFuture(Start.DONE);
          }
          if ("running".equals(status) && Boolean.TRUE.equals(r.getBoolean("held"))) {
            return Future.succeededFuture(Start.BUSY);
          }
          UUID jobId = r.getUUID("job_id");
          Future<Boolean> blocked = "allow".equals(r.getString("concurrency")) ? Future.succeededFuture(false)
              : tx.preparedQuery("SELECT 1 FROM job_runs WHERE job_id = $1 AND id <> $2 AND status = 'running' "
                  + "AND lease_until > now() LIMIT 1").execute(Tuple.of(jobId, runId)).map(x -> x.size() > 0);
          return blocked.compose(isBlocked -> isBlocked
              ? tx.preparedQuery("UPDATE job_runs SET status = 'skipped', finished_at = now(), "
                  + "error = 'another run of this job is still running (concurrency: forbid)' WHERE id = $1")
                  .execute(Tuple.of(runId)).map(Start.SKIPPED)
              : tx.preparedQuery("WITH r AS (UPDATE job_runs SET status = 'running', attempts = attempts + 1, "
                  + "started_at = COALESCE(started_at, now()), node_id = $2, "
                  + "lease_until = now() + make_interval(secs => $3) WHERE id = $1 RETURNING job_id) "
                  + "UPDATE cron_jobs SET status = 'running' WHERE id = (SELECT job_id FROM r)")
                  .execute(Tuple.of(runId, node, leaseMs / 1000.0)).map(Start.STARTED));
        });
  }

  public Future<RunnableRun> runnable(SqlClient db, UUID runId) {
    return db.preparedQuery("SELECT r.id, r.job_id, r.attempts, j.task_name, j.payload FROM job_runs r "
            + "JOIN cron_jobs j ON j.id = r.job_id WHERE r.id = $1")
        .execute(Tuple.of(runId))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          return new RunnableRun(r.getUUID("id"), r.getUUID("job_id"), r.getString("task_name"),
              (JsonObject) r.getValue("payload"), r.getInteger("attempts"));
        });
  }

  /** completed or failed: the run ends, and the job shows its outcome. */
  public Future<Void> finish(SqlClient db, UUID runId, String status, String error) {
    return db.preparedQuery("WITH r AS (UPDATE job_runs SET status = $2, error = $3, finished_at = now(), "
            + "lease_until = NULL WHERE id = $1 RETURNING job_id) "
            + "UPDATE cron_jobs SET status = $2 WHERE id = (SELECT job_id FROM r)")
        .execute(Tuple.of(runId, status, error))
        .mapEmpty();
  }

  /** A failed attempt that will be retried; its lease says when the next attempt is due (the sweeper's cue). */
  public Future<Void> retrying(SqlClient db, UUID runId, String error, long nextAttemptInMs) {
    return db.preparedQuery("UPDATE job_runs SET status = 'retrying', error = $2, "
            + "lease_until = now() + make_interval(secs => $3) WHERE id = $1")
        .execute(Tuple.of(runId, error, nextAttemptInMs / 1000.0))
        .mapEmpty();
  }

  /**
   * The broker dead-lettered the run's message: the run fails with the reason, unless it already ended or a live
   * worker runs it now (that worker settles it). The job shows the failure too.
   * @return whether the run was failed now
   */
  public Future<Boolean> failDeadLettered(SqlClient db, UUID runId, String reason) {
    return db.preparedQuery("WITH r AS (UPDATE job_runs SET status = 'failed', error = $2, finished_at = now(), "
            + "lease_until = NULL WHERE id = $1 AND status IN ('pending', 'running', 'retrying') "
            + "AND NOT (status = 'running' AND lease_until > now()) RETURNING job_id), "
            + "j AS (UPDATE cron_jobs SET status = 'failed' WHERE id = (SELECT job_id FROM r)) "
            + "SELECT count(*) AS n FROM r")
        .execute(Tuple.of(runId, reason))
        .map(rows -> rows.iterator().next().getLong("n") > 0);
  }

  public Future<Void> log(SqlClient db, UUID runId, String level, String message) {
    return db.preparedQuery("INSERT INTO task_logs (run_id, level, message) VALUES ($1, $2, $3)")
        .execute(Tuple.of(runId, level, message))
        .mapEmpty();
  }

  /** Runs of a job, newest first. */
  public Future<List<JobRun>> runs(SqlClient db, UUID jobId, Cursor before, int fetch) {
    return db.preparedQuery("SELECT " + JobRun.COLUMNS + " FROM job_runs WHERE job_id = $1 "
            + "AND ($2::timestamptz IS NULL OR (scheduled_for, id) < ($2, $3)) ORDER BY scheduled_for DESC, id DESC LIMIT $4")
        .execute(Tuple.tuple().addUUID(jobId).addOffsetDateTime(before == null ? null : before.key())
            .addUUID(before == null ? null : before.id()).addInteger(fetch))
        .map(rows -> {
          List<JobRun> runs = new ArrayList<>();
          rows.forEach(r -> runs.add(JobRun.from(r)));
          return runs;
        });
  }

  private static Lease lease(Row r) {
    Long epoch = r.getLong("epoch");
    return new Lease(r.getString("holder"), epoch == null ? 0 : epoch, r.getOffsetDateTime("since"),
        r.getOffsetDateTime("expires_at"), Boolean.TRUE.equals(r.getBoolean("live")));
  }

  private static CronJob firstJob(RowSet<Row> rows) {
    return rows.size() == 0 ? null : CronJob.from(rows.iterator().next());
  }

  static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
