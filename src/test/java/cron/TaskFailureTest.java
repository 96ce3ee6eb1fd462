package cron;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Task failures and overlapping runs: a failing task is retried with backoff up to the configured attempts, then
 * its run (and job) is failed; concurrency "forbid" skips a run while another run of the job is really running,
 * "allow" lets them overlap.
 */
class TaskFailureTest extends NotificationTestBase {

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_SCHEDULER_TASK_MAX_ATTEMPTS", "3");
    env.put("ROSTER_SCHEDULER_RETRY_DELAYS_MS", "300,600");
    return env;
  }

  /** The built-in jobs stay out of the way (no scheduled run holds a connection or a lock meanwhile). */
  @BeforeAll
  void disableBuiltInJobs() {
    JsonObject status = api.get("/v1/cron-jobs/status", admin.token()).json();
    status.getJsonArray("jobs").forEach(o -> {
      Api.Res res = api.patch("/v1/cron-jobs/" + ((JsonObject) o).getString("id"), admin.token(),
          new JsonObject().put("enabled", false));
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
    });
  }

  // ---- helpers

  private String job(String task, JsonObject payload, String concurrency) {
    Api.Res res = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", task)
        .put("cronExpression", "0 3 1 1 *").put("enabled", false).put("concurrency", concurrency));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    String id = res.json().getString("id");
    // written straight to the row: the API refuses a payload its task cannot run with, but a job stored before
    // payloads were checked may still hold one, and its runs must fail cleanly
    db.update("UPDATE cron_jobs SET payload = ?::jsonb WHERE id = ?::uuid", payload.encode(), id);
    return id;
  }

  private String trigger(String jobId) {
    Api.Res res = api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", jobId));
    assertThat(res.status()).as(res.toString()).isEqualTo(202);
    return res.json().getString("id");
  }

  private JsonObject run(String jobId, String runId) {
    Api.Res res = api.get("/v1/cron-jobs/" + jobId + "/runs?limit=100", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items().stream().map(JsonObject.class::cast).filter(r -> r.getString("id").equals(runId))
        .findFirst().orElseThrow();
  }

  private JsonObject awaitRun(String jobId, String runId, Duration timeout, String... statuses) {
    List<String> wanted = List.of(statuses);
    try {
      eventually(timeout, "run " + runId + " becomes " + wanted,
          () -> wanted.contains(run(jobId, runId).getString("status")));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; it is " + run(jobId, runId).encode(), e);
    }
    return run(jobId, runId);
  }

  private JsonObject jobOf(String jobId) {
    return api.get("/v1/cron-jobs/status", admin.token()).json().getJsonArray("jobs").stream()
        .map(JsonObject.class::cast).filter(j -> j.getString("id").equals(jobId)).findFirst().orElseThrow();
  }

  private static Instant instant(String time) {
    return time == null ? null : OffsetDateTime.parse(time).toInstant();
  }

  private void assertFailedAfterThreeAttempts(String jobId, String runId, String errorFragment) {
    JsonObject failed = awaitRun(jobId, runId, Duration.ofSeconds(20), "failed", "completed");
    assertThat(failed.getString("status")).as(failed.encode()).isEqualTo("failed");
    assertThat(failed.getInteger("attempts")).as(failed.encode()).isEqualTo(3);
    assertThat(failed.getString("error")).as(failed.encode()).isNotBlank().containsIgnoringCase(errorFragment);
    Instant started = instant(failed.getString("startedAt"));
    Instant finished = instant(failed.getString("finishedAt"));
    assertThat(started).isNotNull();
    // two waits between three attempts: 300 ms, then 600 ms
    assertThat(Duration.between(started, finished).toMillis()).as("backoff between attempts")
        .isGreaterThanOrEqualTo(850);
    assertThat(jobOf(jobId).getString("status")).isEqualTo("failed");
    assertThat(db.count("SELECT count(*) FROM task_logs WHERE run_id = ?::uuid", runId)).isGreaterThanOrEqualTo(3);
    assertThat(db.count("SELECT count(*) FROM task_logs WHERE run_id = ?::uuid AND message LIKE 'attempt 3 %'", runId))
        .isEqualTo(1);
    // it stays failed: no further attempt comes in
    assertThat(db.count("SELECT attempts FROM job_runs WHERE id = ?::uuid", runId)).isEqualTo(3);
  }

  /** Holds a SHARE lock on reminders_sent, so send_event_reminders blocks (it inserts there) until released. */
  private static final class TableLock implements AutoCloseable {
    private final Connection connection;

    TableLock(Connection connection, String table) throws Exception {
      this.connection = connection;
      connection.setAutoCommit(false);
      try (Statement st = connection.createStatement()) {
        st.execute("LOCK TABLE " + table + " IN SHARE MODE");
      }
    }

    @Override
    public void close() throws Exception {
      connection.rollback();
      connection.close();
    }
  }

  // ---- failures

  @Test
  void aTaskThatFailsIsRetriedWithBackoffThenItsRunFails() {
    String job = job("generate_schedule", new JsonObject().put("weeksAhead", 0), "forbid");
    String run = trigger(job);
    assertFailedAfterThreeAttempts(job, run, "weeksAhead");
    assertThat(db.count("SELECT count(*) FROM task_logs WHERE run_id = ?::uuid AND message LIKE 'attempt % failed%'", run))
        .isEqualTo(3);
  }

  @Test
  void aTaskThatThrowsOnABadPayloadIsRetriedThenItsRunFails() {
    // send_event_reminders reads windowHours as a number: a string makes the task throw, not return a failure
    String job = job("send_event_reminders", new JsonObject().put("windowHours", "not a number"), "forbid");
    String run = trigger(job);
    assertFailedAfterThreeAttempts(job, run, "");
  }

  @Test
  void aFailedJobCompletesAgainOnceItsPayloadIsFixed() {
    String job = job("generate_schedule", new JsonObject().put("weeksAhead", 0), "forbid");
    assertFailedAfterThreeAttempts(job, trigger(job), "weeksAhead");
    Api.Res fixed = api.patch("/v1/cron-jobs/" + job, admin.token(),
        new JsonObject().put("payload", new JsonObject().put("weeksAhead", 1)));
    assertThat(fixed.status()).as(fixed.toString()).isEqualTo(200);
    JsonObject done = awaitRun(job, trigger(job), Duration.ofSeconds(15), "completed", "failed");
    assertThat(done.getString("status")).isEqualTo("completed");
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.getValue("error")).isNull();
    assertThat(jobOf(job).getString("status")).isEqualTo("completed");
  }

  // ---- concurrency

  @Test
  void forbidSkipsARunWhileAnotherRunOfTheJobIsRunning() throws Exception {
    String job = job("send_event_reminders", new JsonObject(), "forbid");
    String first;
    String second;
    try (TableLock lock = new TableLock(db.connect(), "reminders_sent")) {
      first = trigger(job);
      awaitRun(job, first, Duration.ofSeconds(15), "running");
      assertThat(jobOf(job).getString("status")).isEqualTo("running");
      second = trigger(job);
      JsonObject skipped = awaitRun(job, second, Duration.ofSeconds(15), "skipped", "completed", "failed");
      assertThat(skipped.getString("status")).as(skipped.encode()).isEqualTo("skipped");
      assertThat(skipped.getString("error")).contains("forbid");
      assertThat(skipped.getString("finishedAt")).isNotNull();
      assertThat(run(job, first).getString("status")).as("the first run still runs").isEqualTo("running");
    }
    JsonObject done = awaitRun(job, first, Duration.ofSeconds(15), "completed", "failed");
    assertThat(done.getString("status")).isEqualTo("completed");
    assertThat(run(job, second).getString("status")).isEqualTo("skipped");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", job)).isEqualTo(2);
    // the job is free again: a new run runs
    JsonObject third = awaitRun(job, trigger(job), Duration.ofSeconds(15), "completed", "skipped", "failed");
    assertThat(third.getString("status")).isEqualTo("completed");
  }

  @Test
  void allowLetsRunsOfTheJobOverlap() throws Exception {
    String job = job("send_event_reminders", new JsonObject(), "allow");
    String first;
    String second;
    try (TableLock lock = new TableLock(db.connect(), "reminders_sent")) {
      first = trigger(job);
      awaitRun(job, first, Duration.ofSeconds(15), "running");
      second = trigger(job);
      awaitRun(job, second, Duration.ofSeconds(15), "running", "skipped", "completed", "failed");
      assertThat(run(job, second).getString("status")).isEqualTo("running");
      assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND status = 'running'", job))
          .as("both runs at once").isEqualTo(2);
    }
    assertThat(awaitRun(job, first, Duration.ofSeconds(15), "completed", "failed").getString("status")).isEqualTo("completed");
    assertThat(awaitRun(job, second, Duration.ofSeconds(15), "completed", "failed").getString("status")).isEqualTo("completed");
  }

  @Test
  void forbidIsDecidedByLiveRunLeasesInTheDatabase() {
    String job = job("purge_expired", new JsonObject(), "forbid");
    // a run some worker holds (its lease is live): a new run is skipped
    db.update("INSERT INTO job_runs (job_id, scheduled_for, trigger, status, node_id, attempts, lease_until, started_at) "
        + "VALUES (?::uuid, now(), 'manual', 'running', 'elsewhere', 1, now() + interval '5 minutes', now())", job);
    JsonObject skipped = awaitRun(job, trigger(job), Duration.ofSeconds(15), "skipped", "completed", "failed");
    assertThat(skipped.getString("status")).isEqualTo("skipped");
    assertThat(skipped.getString("error")).contains("forbid");

    // a run whose worker died (lease expired) does not block the job for ever
    db.update("UPDATE job_runs SET lease_until = now() - interval '1 second' WHERE job_id = ?::uuid AND node_id = 'elsewhere'",
        job);
    JsonObject ran = awaitRun(job, trigger(job), Duration.ofSeconds(15), "completed", "skipped", "failed");
    assertThat(ran.getString("status")).isEqualTo("completed");

    // a live run of an "allow" job: the new run runs beside it
    String allowJob = job("purge_expired", new JsonObject(), "allow");
    db.update("INSERT INTO job_runs (job_id, scheduled_for, trigger, status, node_id, attempts, lease_until, started_at) "
        + "VALUES (?::uuid, now(), 'manual', 'running', 'elsewhere', 1, now() + interval '5 minutes', now())", allowJob);
    JsonObject beside = awaitRun(allowJob, trigger(allowJob), Duration.ofSeconds(15), "completed", "skipped", "failed");
    assertThat(beside.getString("status")).isEqualTo("completed");
  }
}
