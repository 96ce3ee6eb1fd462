package cron;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import web.ApiError;
import web.Cursor;
import web.Json;
import web.Page;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The "Scheduled jobs" operations of openapi.yaml: admins create, change, trigger and inspect jobs. */
public final class CronService {

  private final Pool pool;
  private final CronRepository repository;
  private final String node;

  public CronService(Pool pool, CronRepository repository, String node) {
    this.pool = pool;
    this.repository = repository;
    this.node = node;
  }

  public Future<CronJob> create(Caller caller, JsonObject body) {
    return admin(caller).compose(v -> {
      String task = body.getString("taskName");
      if (!Tasks.NAMES.contains(task)) {
        return Future.failedFuture(new ApiError(400, "unknown_task", "There is no task named '" + task + "'.",
            List.of(new ApiError.FieldError("taskName", "must be one of " + String.join(", ", Tasks.NAMES)))));
      }
      String timezone = body.getString("timezone", "UTC");
      CronSchedule schedule = parse(body.getString("cronExpression"), timezone);
      requireRunnable(task, body.getJsonObject("payload"));
      boolean enabled = body.getBoolean("enabled", true);
      return repository.now(pool).compose(now -> repository.insert(pool, task, schedule.expression(), timezone,
          body.getJsonObject("payload", new JsonObject()), enabled, body.getString("concurrency", "forbid"),
          enabled ? schedule.next(now).orElse(null) : null, null));
    });
  }

  /** Creates the built-in jobs once (a unique key per job), whichever node starts first. */
  public Future<Void> ensureDefaults() {
    record Default(String key, String task, String expression, JsonObject payload) {
    }
    List<Default> defaults = List.of(
        new Default("reminders", "send_event_reminders", "*/15 * * * *", new JsonObject().put("windowHours", 24)),
        new Default("schedules", "generate_schedule", "0 3 * * *", new JsonObject().put("weeksAhead", 4)),
        new Default("purge", "purge_expired", "30 4 * * *", new JsonObject()));
    return repository.now(pool).compose(now -> {
      Future<Void> chain = Future.succeededFuture();
      for (Default d : defaults) {
        Instant next = CronSchedule.parse(d.expression(), "UTC").next(now).orElseThrow();
        chain = chain.compose(v -> repository.insert(pool, d.task(), d.expression(), "UTC", d.payload(), true,
            "forbid", next, d.key()).mapEmpty());
      }
      return chain;
    });
  }

  public Future<JsonObject> status(Caller caller) {
    return admin(caller).compose(v -> repository.lease(pool)).compose(lease -> repository.all(pool).map(jobs -> {
      JsonArray list = new JsonArray();
      jobs.forEach(j -> list.add(j.toJson()));
      JsonObject leader = lease.live() && lease.holder() != null
          ? new JsonObject().put("nodeId", lease.holder()).put("since", Json.time(lease.since())).put("epoch", lease.epoch())
          : null;
      return new JsonObject().put("leader", leader).put("node", new JsonObject().put("nodeId", node)).put("jobs", list);
    }));
  }

  public Future<JsonObject> runs(Caller caller, UUID jobId, Cursor before, int limit) {
    return admin(caller).compose(v -> repository.findById(pool, jobId)).compose(job -> job == null
        ? Future.failedFuture(notFound())
        : repository.runs(pool, jobId, before, limit + 1)
            .map(rows -> Page.of(rows, limit, JobRun::toJson, JobRun::scheduledFor, JobRun::id)));
  }

  /** A change of expression, zone or enabled state schedules the next run afresh from now (the database's). */
  public Future<CronJob> update(Caller caller, UUID id, JsonObject changes) {
    return admin(caller).compose(v -> repository.findById(pool, id)).compose(job -> job == null
        ? Future.failedFuture(notFound())
        : repository.now(pool).compose(now -> update(job, changes, now)));
  }

  /** Bad input throws an ApiError: the caller's compose turns it into the failed future. */
  private Future<CronJob> update(CronJob job, JsonObject changes, Instant now) {
    String expression = changes.getString("cronExpression", job.cronExpression());
    String timezone = changes.getString("timezone", job.timezone());
    boolean enabled = changes.getBoolean("enabled", job.enabled());
    CronSchedule schedule = parse(expression, timezone);
    requireRunnable(job.taskName(), changes.getJsonObject("payload"));
    boolean reschedule = changes.containsKey("cronExpression") || changes.containsKey("timezone")
        || changes.containsKey("enabled");
    Instant next = !enabled ? null
        : reschedule ? schedule.next(now).orElse(null)
        : job.nextRun() == null ? null : job.nextRun().toInstant();
    return repository.update(pool, job.id(), changes.containsKey("cronExpression") ? schedule.expression() : null,
        changes.getString("timezone"), changes.getBoolean("enabled"), changes.getJsonObject("payload"),
        changes.getString("concurrency"), next).map(updated -> {
          if (updated == null) { // deleted meanwhile
            throw notFound();
          }
          return updated;
        });
  }

  public Future<Void> delete(Caller caller, UUID id) {
    return admin(caller).compose(v -> repository.delete(pool, id))
        .compose(deleted -> deleted ? Future.succeededFuture() : Future.failedFuture(notFound()));
  }

  /** A manual run: recorded with trigger "manual" and queued through the same path as scheduled ones. */
  public Future<JobRun> trigger(Caller caller, UUID jobId) {
    return admin(caller).compose(v -> pool.withTransaction(tx -> repository.findById(tx, jobId).compose(job -> {
      if (job == null) {
        return Future.failedFuture(notFound());
      }
      return repository.now(tx)
          .compose(now -> repository.insertRun(tx, jobId, now, "manual", null, null, 0))
          .compose(run -> repository.enqueue(tx, run, job.taskName(), job.payload(), 0).map(run));
    })));
  }

  private static CronSchedule parse(String expression, String timezone) {
    try {
      return CronSchedule.parse(expression, timezone);
    } catch (CronSchedule.Invalid e) {
      throw e.isTimezone()
          ? new ApiError(400, "unknown_timezone", e.getMessage(), List.of(new ApiError.FieldError("timezone", e.getMessage())))
          : new ApiError(400, "invalid_cron_expression", e.getMessage(),
              List.of(new ApiError.FieldError("cronExpression", e.getMessage())));
    }
  }

  /** A payload its task cannot run with is refused now, not failed at every attempt of every run. */
  private static void requireRunnable(String task, JsonObject payload) {
    List<ApiError.FieldError> errors = TaskPayload.errors(task, payload);
    if (!errors.isEmpty()) {
      throw ApiError.invalid(errors);
    }
  }

  private static Future<Void> admin(Caller caller) {
    return caller.isAdmin() ? Future.succeededFuture() : Future.failedFuture(ApiError.forbidden("Only admins manage scheduled jobs."));
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such job.");
  }
}
