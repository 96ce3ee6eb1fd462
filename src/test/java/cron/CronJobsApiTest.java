package cron;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.RosterApp;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduled-job operations of openapi.yaml: every endpoint with its errors, and the scheduler and task workers behind them
 * (runs fire once per instant, on time, manual runs complete).
 */
class CronJobsApiTest extends NotificationTestBase {

  private static final List<String> BUILT_IN = List.of("send_event_reminders", "generate_schedule", "purge_expired");

  // ---- helpers

  private Api.Res create(JsonObject body) {
    return api.post("/v1/cron-schedule", admin.token(), body);
  }

  private JsonObject createJob(String task, String expression, JsonObject extra) {
    JsonObject body = new JsonObject().put("taskName", task).put("cronExpression", expression).mergeIn(extra);
    Api.Res res = create(body);
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  /** A job that never fires by itself during a test (disabled), for manual runs. */
  private JsonObject manualJob() {
    return createJob("purge_expired", "0 3 1 1 *", new JsonObject().put("enabled", false));
  }

  private static Instant instant(String time) {
    return time == null ? null : OffsetDateTime.parse(time).toInstant();
  }

  /** Every run of the job, newest first, following the cursor. */
  private List<JsonObject> allRuns(String jobId) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    do {
      Api.Res page = api.get("/v1/cron-jobs/" + jobId + "/runs?limit=100" + (cursor == null ? "" : "&cursor=" + cursor),
          admin.token());
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      page.items().forEach(o -> out.add((JsonObject) o));
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    return out;
  }

  private JsonObject run(String jobId, String runId) {
    return allRuns(jobId).stream().filter(r -> r.getString("id").equals(runId)).findFirst().orElse(null);
  }

  private JsonObject awaitRunStatus(String jobId, String runId, String... statuses) {
    List<String> wanted = List.of(statuses);
    eventually(Duration.ofSeconds(20), "run " + runId + " becomes " + wanted, () -> {
      JsonObject r = run(jobId, runId);
      return r != null && wanted.contains(r.getString("status"));
    });
    return run(jobId, runId);
  }

  private JsonObject status() {
    Api.Res res = api.get("/v1/cron-jobs/status", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.json();
  }

  private JsonObject jobInStatus(String jobId) {
    return status().getJsonArray("jobs").stream().map(JsonObject.class::cast)
        .filter(j -> j.getString("id").equals(jobId)).findFirst().orElse(null);
  }

  private Api.Res trigger(String jobId) {
    return api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", jobId));
  }

  private void awaitNoActiveRuns(String jobId) {
    eventually(Duration.ofSeconds(20), "every run of " + jobId + " settles", () -> db.count(
        "SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND status IN ('pending', 'running', 'retrying')",
        jobId) == 0);
  }

  /** The next 09:00 local time in the zone, strictly after {@code after}. */
  private static Instant nextNineOClock(ZoneId zone, Instant after) {
    ZonedDateTime candidate = ZonedDateTime.of(LocalDate.ofInstant(after, zone), LocalTime.of(9, 0), zone);
    while (!candidate.toInstant().isAfter(after)) {
      candidate = ZonedDateTime.of(candidate.toLocalDate().plusDays(1), LocalTime.of(9, 0), zone);
    }
    return candidate.toInstant();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  // ---- POST /v1/cron-schedule

  @Test
  void createAnswers201WithEveryFieldAndLocation() {
    Instant before = Instant.now();
    Api.Res res = create(new JsonObject().put("taskName", "generate_schedule").put("cronExpression", "0 9 * * *")
        .put("payload", new JsonObject().put("weeksAhead", 2)));
    Instant after = Instant.now();
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    JsonObject job = res.json();
    String id = job.getString("id");
    assertThat(UUID.fromString(id)).isNotNull();
    assertThat(res.header("Location")).isEqualTo("/v1/cron-jobs/" + id);
    assertThat(job.getString("taskName")).isEqualTo("generate_schedule");
    assertThat(job.getString("cronExpression")).isEqualTo("0 9 * * *");
    assertThat(job.getString("timezone")).isEqualTo("UTC");
    assertThat(job.getJsonObject("payload")).isEqualTo(new JsonObject().put("weeksAhead", 2));
    assertThat(job.getBoolean("enabled")).isTrue();
    assertThat(job.getString("status")).isEqualTo("pending");
    assertThat(job.containsKey("lastRun")).isTrue();
    assertThat(job.getValue("lastRun")).isNull();
    Instant next = instant(job.getString("nextRun"));
    assertThat(next).isIn(nextNineOClock(ZoneId.of("UTC"), before), nextNineOClock(ZoneId.of("UTC"), after));
    Instant createdAt = instant(job.getString("createdAt"));
    assertThat(createdAt).isBetween(before.minusSeconds(2), after.plusSeconds(2));
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid AND task_name = 'generate_schedule'", id))
        .isEqualTo(1);
    // and it is listed
    JsonObject listed = jobInStatus(id);
    assertThat(listed).isNotNull();
    assertThat(instant(listed.getString("nextRun"))).isEqualTo(next);
  }

  @Test
  void nextRunIsTheNextInstantOfTheExpressionInTheJobsZone() {
    Instant before = Instant.now();
    JsonObject berlin = createJob("generate_schedule", "0 9 * * *", new JsonObject().put("timezone", "Europe/Berlin"));
    Instant after = Instant.now();
    assertThat(berlin.getString("timezone")).isEqualTo("Europe/Berlin");
    assertThat(instant(berlin.getString("nextRun"))).isIn(nextNineOClock(ZoneId.of("Europe/Berlin"), before),
        nextNineOClock(ZoneId.of("Europe/Berlin"), after));

    // six fields: every 10 seconds
    before = Instant.now();
    JsonObject fast = createJob("purge_expired", "*/10 * * * * *", new JsonObject().put("enabled", false)
        .put("timezone", "Asia/Kolkata"));
    assertThat(fast.getString("nextRun")).as("a disabled job has no next run").isNull();
    assertThat(fast.getBoolean("enabled")).isFalse();
    Api.Res enabled = api.patch("/v1/cron-jobs/" + fast.getString("id"), admin.token(),
        new JsonObject().put("enabled", true));
    after = Instant.now();
    assertThat(enabled.status()).as(enabled.toString()).isEqualTo(200);
    Instant next = instant(enabled.json().getString("nextRun"));
    assertThat(next.getEpochSecond() % 10).isZero();
    assertThat(next.getNano()).isZero();
    assertThat(next).isAfter(before.minusMillis(1)).isBeforeOrEqualTo(after.plusSeconds(10));
    api.patch("/v1/cron-jobs/" + fast.getString("id"), admin.token(), new JsonObject().put("enabled", false));
    awaitNoActiveRuns(fast.getString("id"));
  }

  @Test
  void createRefusesBadExpressionsTasksAndZones() {
    for (String bad : List.of("not a cron expression", "0 0 1 JAN", "61 * * * *", "* 25 * * *", "0 0 * * * * * *",
        "0 0 32 * *")) {
      assertProblem(create(new JsonObject().put("taskName", "purge_expired").put("cronExpression", bad)), 400,
          "invalid_cron_expression");
    }
    Api.Res unknownTask = create(new JsonObject().put("taskName", "mine_bitcoin").put("cronExpression", "0 3 * * *"));
    assertProblem(unknownTask, 400, "unknown_task");
    Api.Res unknownZone = create(new JsonObject().put("taskName", "purge_expired").put("cronExpression", "0 3 * * *")
        .put("timezone", "Mars/Olympus_Mons"));
    assertProblem(unknownZone, 400, "unknown_timezone");
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE system_key IS NULL AND (task_name = 'mine_bitcoin' "
        + "OR timezone = 'Mars/Olympus_Mons' OR cron_expression LIKE '61 %')")).isZero();
  }

  @Test
  void aShortFourFieldExpressionIsAnInvalidCronExpressionToo() {
    // the contract: any expression that is not 5 or 6 cron fields is 400 invalid_cron_expression
    assertProblem(create(new JsonObject().put("taskName", "purge_expired").put("cronExpression", "* * * *")), 400,
        "invalid_cron_expression");
    String id = manualJob().getString("id");
    assertProblem(api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("cronExpression", "* * * *")),
        400, "invalid_cron_expression");
  }

  @Test
  void onlyAdminsManageJobs() {
    JsonObject job = manualJob();
    String id = job.getString("id");
    Person member = member();
    JsonObject createBody = new JsonObject().put("taskName", "purge_expired").put("cronExpression", "0 3 * * *");
    for (String token : List.of(member.token(), trainer.token())) {
      assertProblem(api.post("/v1/cron-schedule", token, createBody), 403, "forbidden");
      assertProblem(api.get("/v1/cron-jobs/status", token), 403, "forbidden");
      assertProblem(api.get("/v1/cron-jobs/" + id + "/runs", token), 403, "forbidden");
      assertProblem(api.patch("/v1/cron-jobs/" + id, token, new JsonObject().put("enabled", true)), 403, "forbidden");
      assertProblem(api.delete("/v1/cron-jobs/" + id, token), 403, "forbidden");
      assertProblem(api.post("/v1/cron-jobs/trigger", token, new JsonObject().put("jobId", id)), 403, "forbidden");
    }
    assertProblem(api.post("/v1/cron-schedule", null, createBody), 401, "unauthenticated");
    assertProblem(api.get("/v1/cron-jobs/status", null), 401, "unauthenticated");
    assertProblem(api.get("/v1/cron-jobs/" + id + "/runs", null), 401, "unauthenticated");
    assertProblem(api.patch("/v1/cron-jobs/" + id, null, new JsonObject().put("enabled", true)), 401, "unauthenticated");
    assertProblem(api.delete("/v1/cron-jobs/" + id, null), 401, "unauthenticated");
    assertProblem(api.post("/v1/cron-jobs/trigger", null, new JsonObject().put("jobId", id)), 401, "unauthenticated");
    // nothing changed
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid AND NOT enabled", id)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isZero();
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE cron_expression = '0 3 * * *' AND system_key IS NULL "
        + "AND task_name = 'purge_expired'")).isZero();
  }

  // ---- GET /v1/cron-jobs/status

  @Test
  void statusShowsThisNodeAsLeaderAndTheBuiltInJobsOnce() {
    eventually(Duration.ofSeconds(10), "a leader", () -> status().getValue("leader") != null);
    JsonObject status = status();
    JsonObject leader = status.getJsonObject("leader");
    String node = status.getJsonObject("node").getString("nodeId");
    assertThat(node).isNotBlank();
    assertThat(leader.getString("nodeId")).as("the only node leads").isEqualTo(node);
    assertThat(instant(leader.getString("since"))).isBefore(Instant.now().plusSeconds(1));
    assertThat(leader.getLong("epoch")).isGreaterThanOrEqualTo(1L);
    JsonArray jobs = status.getJsonArray("jobs");
    for (String task : BUILT_IN) {
      List<JsonObject> builtIn = jobs.stream().map(JsonObject.class::cast)
          .filter(j -> j.getString("taskName").equals(task)).toList();
      assertThat(builtIn).as(task).isNotEmpty();
      assertThat(builtIn.stream().filter(j -> db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid "
          + "AND system_key IS NOT NULL", j.getString("id")) == 1)).as(task + " built in once").hasSize(1);
      JsonObject j = builtIn.get(0);
      assertThat(j.getBoolean("enabled")).isTrue();
      assertThat(j.getString("nextRun")).isNotNull();
    }
    JsonObject reminders = jobs.stream().map(JsonObject.class::cast)
        .filter(j -> "send_event_reminders".equals(j.getString("taskName"))).findFirst().orElseThrow();
    assertThat(reminders.getString("cronExpression")).isEqualTo("*/15 * * * *");
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE system_key IS NOT NULL")).isEqualTo(3);

    // a second node on the same database: the built-in jobs are not created again, and it answers as itself
    Map<String, String> settings = Map.of("ROSTER_NODE_ID", "second-node-" + UUID.randomUUID().toString().substring(0, 4));
    try (RosterApp second = RosterApp.start(db, issuer, settings)) {
      Api other = new Api(second.baseUrl());
      Api.Res res = other.get("/v1/cron-jobs/status", admin.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertThat(res.json().getJsonObject("node").getString("nodeId")).isEqualTo(settings.get("ROSTER_NODE_ID"));
      assertThat(res.json().getJsonObject("leader").getString("nodeId")).as("the first node still leads").isEqualTo(node);
      assertThat(res.json().getJsonObject("leader").getLong("epoch")).isEqualTo(leader.getLong("epoch"));
      assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE system_key IS NOT NULL")).isEqualTo(3);
      for (String task : BUILT_IN) {
        assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE system_key IS NOT NULL AND task_name = ?", task))
            .as(task).isEqualTo(1);
      }
    }
  }

  // ---- PATCH /v1/cron-jobs/{id}

  @Test
  void patchRecomputesNextRunOnANewExpressionOrZone() {
    JsonObject job = createJob("generate_schedule", "0 3 * * *", new JsonObject());
    String id = job.getString("id");
    Instant before = Instant.now();
    Api.Res res = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("cronExpression", "0 9 * * *"));
    Instant after = Instant.now();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getString("cronExpression")).isEqualTo("0 9 * * *");
    assertThat(instant(res.json().getString("nextRun"))).isIn(nextNineOClock(ZoneId.of("UTC"), before),
        nextNineOClock(ZoneId.of("UTC"), after));

    before = Instant.now();
    res = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("timezone", "America/New_York"));
    after = Instant.now();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getString("timezone")).isEqualTo("America/New_York");
    assertThat(instant(res.json().getString("nextRun"))).isIn(nextNineOClock(ZoneId.of("America/New_York"), before),
        nextNineOClock(ZoneId.of("America/New_York"), after));

    // a payload change keeps the schedule and replaces the whole payload
    String nextRun = res.json().getString("nextRun");
    res = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("payload", new JsonObject().put("weeksAhead", 6)));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getJsonObject("payload")).isEqualTo(new JsonObject().put("weeksAhead", 6));
    assertThat(instant(res.json().getString("nextRun"))).isEqualTo(instant(nextRun));
    assertThat(res.json().getString("cronExpression")).isEqualTo("0 9 * * *");

    // bad values change nothing
    assertProblem(api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("cronExpression", "61 * * * *")),
        400, "invalid_cron_expression");
    assertProblem(api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("timezone", "Nowhere/City")),
        400, "unknown_timezone");
    JsonObject now = jobInStatus(id);
    assertThat(now.getString("cronExpression")).isEqualTo("0 9 * * *");
    assertThat(now.getString("timezone")).isEqualTo("America/New_York");
    assertThat(instant(now.getString("nextRun"))).isEqualTo(instant(nextRun));

    assertProblem(api.patch("/v1/cron-jobs/" + UUID.randomUUID(), admin.token(), new JsonObject().put("enabled", false)),
        404, "not_found");
  }

  @Test
  void disablingStopsScheduledRunsAndEnablingSchedulesThemAgain() {
    JsonObject job = createJob("purge_expired", "*/2 * * * * *", new JsonObject());
    String id = job.getString("id");
    eventually(Duration.ofSeconds(10), "a scheduled run", () -> !allRuns(id).isEmpty());

    Api.Res off = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", false));
    assertThat(off.status()).as(off.toString()).isEqualTo(200);
    assertThat(off.json().getBoolean("enabled")).isFalse();
    assertThat(off.json().getValue("nextRun")).isNull();
    awaitNoActiveRuns(id);
    int runsWhenOff = allRuns(id).size();
    // three instants of the expression pass: none fires
    sleep(4_500);
    assertThat(allRuns(id)).as("runs of a disabled job").hasSize(runsWhenOff);
    assertThat(jobInStatus(id).getValue("nextRun")).isNull();

    // a manual run of a disabled job still runs
    Api.Res manual = trigger(id);
    assertThat(manual.status()).as(manual.toString()).isEqualTo(202);
    awaitRunStatus(id, manual.json().getString("id"), "completed");

    Instant before = Instant.now();
    Api.Res on = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", true));
    assertThat(on.status()).as(on.toString()).isEqualTo(200);
    assertThat(on.json().getBoolean("enabled")).isTrue();
    Instant next = instant(on.json().getString("nextRun"));
    assertThat(next).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(2));
    eventually(Duration.ofSeconds(10), "a scheduled run after re-enabling", () -> allRuns(id).stream()
        .anyMatch(r -> "schedule".equals(r.getString("trigger")) && !instant(r.getString("scheduledFor")).isBefore(next)));
    api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", false));
    awaitNoActiveRuns(id);
  }

  // ---- DELETE /v1/cron-jobs/{id}

  @Test
  void deleteRemovesTheJobAndItsRuns() {
    JsonObject job = manualJob();
    String id = job.getString("id");
    Api.Res triggered = trigger(id);
    assertThat(triggered.status()).as(triggered.toString()).isEqualTo(202);
    awaitRunStatus(id, triggered.json().getString("id"), "completed");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isEqualTo(1);

    Api.Res deleted = api.delete("/v1/cron-jobs/" + id, admin.token());
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    assertThat(deleted.raw().body()).isEmpty();
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid", id)).isZero();
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isZero();
    assertThat(jobInStatus(id)).isNull();

    assertProblem(api.delete("/v1/cron-jobs/" + id, admin.token()), 404, "not_found");
    assertProblem(api.get("/v1/cron-jobs/" + id + "/runs", admin.token()), 404, "not_found");
    assertProblem(api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", true)), 404, "not_found");
    assertProblem(trigger(id), 404, "not_found");
    assertProblem(api.delete("/v1/cron-jobs/" + UUID.randomUUID(), admin.token()), 404, "not_found");
  }

  // ---- POST /v1/cron-jobs/trigger

  @Test
  void triggerQueuesAManualRunThatCompletes() {
    JsonObject job = manualJob();
    String id = job.getString("id");
    Instant before = Instant.now();
    Api.Res res = trigger(id);
    assertThat(res.status()).as(res.toString()).isEqualTo(202);
    JsonObject run = res.json();
    assertThat(UUID.fromString(run.getString("id"))).isNotNull();
    assertThat(run.getString("jobId")).isEqualTo(id);
    assertThat(run.getString("trigger")).isEqualTo("manual");
    assertThat(run.getString("status")).isEqualTo("pending");
    assertThat(instant(run.getString("scheduledFor"))).isBetween(before.minusSeconds(2), Instant.now().plusSeconds(2));

    JsonObject done = awaitRunStatus(id, run.getString("id"), "completed");
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.getString("trigger")).isEqualTo("manual");
    Instant started = instant(done.getString("startedAt"));
    Instant finished = instant(done.getString("finishedAt"));
    assertThat(started).isNotNull();
    assertThat(finished).isNotNull().isAfterOrEqualTo(started);
    assertThat(done.getString("nodeId")).isEqualTo(status().getJsonObject("node").getString("nodeId"));
    assertThat(done.getValue("error")).isNull();
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM task_logs l JOIN job_runs r ON r.id = l.run_id WHERE r.id = ?::uuid",
        run.getString("id"))).isGreaterThanOrEqualTo(1);
    eventually(Duration.ofSeconds(5), "the job shows the outcome",
        () -> "completed".equals(jobInStatus(id).getString("status")));

    assertProblem(trigger(UUID.randomUUID().toString()), 404, "not_found");
  }

  @Test
  void triggerRefusesABadBodyAndReplaysAnIdempotentRetry() {
    String id = manualJob().getString("id");
    assertProblem(api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", "not-a-uuid")), 400,
        "validation_failed");
    assertProblem(api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject()), 400, "validation_failed");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isZero();

    String key = "trigger-" + UUID.randomUUID();
    JsonObject body = new JsonObject().put("jobId", id);
    Api.Res first = api.call("POST", "/v1/cron-jobs/trigger").token(admin.token()).header("Idempotency-Key", key)
        .json(body).send();
    assertThat(first.status()).as(first.toString()).isEqualTo(202);
    Api.Res again = api.call("POST", "/v1/cron-jobs/trigger").token(admin.token()).header("Idempotency-Key", key)
        .json(body).send();
    assertThat(again.status()).as(again.toString()).isEqualTo(202);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
    awaitNoActiveRuns(id);
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).as("one run for one key").isEqualTo(1);
  }

  @Test
  void deletingAJobWhileItsRunIsInProgressLeavesNothingBehind() throws Exception {
    String id = createJob("send_event_reminders", "0 3 1 1 *", new JsonObject().put("enabled", false)).getString("id");
    String runId;
    // send_event_reminders writes reminders_sent: while this lock is held, its run stays running
    try (java.sql.Connection lock = db.connect()) {
      lock.setAutoCommit(false);
      try (java.sql.Statement st = lock.createStatement()) {
        st.execute("LOCK TABLE reminders_sent IN SHARE MODE");
      }
      Api.Res triggered = trigger(id);
      assertThat(triggered.status()).as(triggered.toString()).isEqualTo(202);
      runId = triggered.json().getString("id");
      awaitRunStatus(id, runId, "running");
      Api.Res deleted = api.delete("/v1/cron-jobs/" + id, admin.token());
      assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
      lock.rollback();
    }
    assertProblem(api.get("/v1/cron-jobs/" + id + "/runs", admin.token()), 404, "not_found");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE id = ?::uuid", runId)).isZero();
    assertThat(db.count("SELECT count(*) FROM cron_jobs WHERE id = ?::uuid", id)).isZero();
    // the workers carry on: another job's run completes
    String other = manualJob().getString("id");
    Api.Res next = trigger(other);
    assertThat(next.status()).as(next.toString()).isEqualTo(202);
    awaitRunStatus(other, next.json().getString("id"), "completed");
  }

  // ---- GET /v1/cron-jobs/{id}/runs

  @Test
  void runsArePagedNewestFirstWithoutDuplicatesOrGaps() {
    JsonObject job = manualJob();
    String id = job.getString("id");
    List<String> triggered = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Api.Res res = trigger(id);
      assertThat(res.status()).as(res.toString()).isEqualTo(202);
      triggered.add(res.json().getString("id"));
      sleep(5); // distinct scheduledFor instants
    }
    awaitNoActiveRuns(id);

    List<String> seen = new ArrayList<>();
    List<Instant> times = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Res page = api.get("/v1/cron-jobs/" + id + "/runs?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          admin.token());
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      assertThat(page.items().size()).isLessThanOrEqualTo(2);
      page.items().forEach(o -> {
        JsonObject r = (JsonObject) o;
        seen.add(r.getString("id"));
        times.add(instant(r.getString("scheduledFor")));
        assertThat(r.getString("jobId")).isEqualTo(id);
      });
      cursor = page.json().getString("nextCursor");
      pages++;
      if (cursor != null) {
        assertThat(page.items().size()).isEqualTo(2);
      }
    } while (cursor != null && pages < 10);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).doesNotHaveDuplicates().hasSize(5);
    List<String> newestFirst = new ArrayList<>(triggered);
    java.util.Collections.reverse(newestFirst);
    assertThat(seen).isEqualTo(newestFirst);
    for (int i = 1; i < times.size(); i++) {
      assertThat(times.get(i)).isBeforeOrEqualTo(times.get(i - 1));
    }

    assertProblem(api.get("/v1/cron-jobs/" + UUID.randomUUID() + "/runs", admin.token()), 404, "not_found");
  }

  // ---- the scheduler

  @Test
  void aTwoSecondJobFiresOncePerInstantOnTime() {
    JsonObject job = createJob("purge_expired", "*/2 * * * * *", new JsonObject());
    String id = job.getString("id");
    Instant first = instant(job.getString("nextRun"));
    sleep(Math.max(0, Duration.between(Instant.now(), instant(job.getString("createdAt")).plusSeconds(7)).toMillis()));
    Api.Res off = api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", false));
    assertThat(off.status()).isEqualTo(200);
    awaitNoActiveRuns(id);

    List<JsonObject> runs = allRuns(id);
    assertThat(runs).hasSizeBetween(3, 4);
    long epoch = status().getJsonObject("leader").getLong("epoch");
    Set<Instant> instants = new HashSet<>();
    for (JsonObject r : runs) {
      assertThat(r.getString("status")).as(r.encode()).isEqualTo("completed");
      assertThat(r.getString("trigger")).isEqualTo("schedule");
      assertThat(r.getLong("epoch")).isEqualTo(epoch);
      assertThat(r.getLong("latenessMs")).as(r.encode()).isBetween(0L, 1499L);
      assertThat(r.getInteger("attempts")).isEqualTo(1);
      Instant at = instant(r.getString("scheduledFor"));
      assertThat(at.getEpochSecond() % 2).isZero();
      assertThat(at.getNano()).isZero();
      instants.add(at);
    }
    assertThat(instants).as("one run per instant").hasSize(runs.size());
    // consecutive instants from the first nextRun, no gap
    for (int i = 0; i < runs.size(); i++) {
      assertThat(instants).contains(first.plusSeconds(2L * i));
    }
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid", id)).isEqualTo(runs.size());
    JsonObject after = jobInStatus(id);
    assertThat(instant(after.getString("lastRun"))).isEqualTo(first.plusSeconds(2L * (runs.size() - 1)));
    assertThat(after.getString("status")).isEqualTo("completed");
  }

  @Test
  void aManualTriggerRacingAScheduledFiringRecordsBothRunsOnce() throws Exception {
    JsonObject job = createJob("purge_expired", "*/2 * * * * *", new JsonObject());
    String id = job.getString("id");
    Instant target = instant(job.getString("nextRun"));
    if (Duration.between(Instant.now(), target).toMillis() < 400) {
      target = target.plusSeconds(2);
    }
    // fire the manual trigger a moment before the scheduler claims the same instant
    sleep(Math.max(0, Duration.between(Instant.now(), target).toMillis() - 30));
    CompletableFuture<Api.Res> manual = api.call("POST", "/v1/cron-jobs/trigger").token(admin.token())
        .json(new JsonObject().put("jobId", id)).sendAsync();
    Api.Res res = manual.get();
    assertThat(res.status()).as(res.toString()).isEqualTo(202);
    String manualId = res.json().getString("id");
    Instant scheduled = target;
    eventually(Duration.ofSeconds(10), "the scheduled run of " + scheduled, () -> db.count(
        "SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND trigger = 'schedule' AND scheduled_for = ?::timestamptz",
        id, scheduled.toString()) == 1);
    api.patch("/v1/cron-jobs/" + id, admin.token(), new JsonObject().put("enabled", false));
    awaitNoActiveRuns(id);

    List<JsonObject> runs = allRuns(id);
    assertThat(runs.stream().filter(r -> r.getString("id").equals(manualId))).hasSize(1);
    assertThat(runs.stream().filter(r -> "manual".equals(r.getString("trigger")))).hasSize(1);
    assertThat(runs.stream().filter(r -> "schedule".equals(r.getString("trigger"))
        && instant(r.getString("scheduledFor")).equals(scheduled))).hasSize(1);
    assertThat(runs).extracting(r -> r.getString("id")).doesNotHaveDuplicates();
    // forbid: one of two overlapping runs may be skipped, never both, and nothing is left hanging
    assertThat(runs).allSatisfy(r -> assertThat(r.getString("status")).isIn("completed", "skipped"));
    JsonObject manualRun = run(id, manualId);
    JsonObject scheduledRun = runs.stream().filter(r -> "schedule".equals(r.getString("trigger"))
        && instant(r.getString("scheduledFor")).equals(scheduled)).findFirst().orElseThrow();
    assertThat(List.of(manualRun.getString("status"), scheduledRun.getString("status"))).contains("completed");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND trigger = 'schedule' "
        + "GROUP BY scheduled_for ORDER BY count(*) DESC LIMIT 1", id)).isEqualTo(1);
  }
}
