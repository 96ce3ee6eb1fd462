package cron;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.LogCapture;
import support.NotificationTestBase;
import support.TcpProxy;

import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL goes away for 15 s while task runs are in flight (blocked in their task's statement) and the job keeps
 * firing: the task worker stops consuming instead of spinning on requeues, holds what it has, and once the database
 * is back every run finishes, completed, with its task's work done once; none reaches the dead-letter queue, none
 * is left pending, running or retrying.
 *
 * <p>The service reaches PostgreSQL through a TCP proxy (the task worker's pool, and with it the scheduler's and the
 * relay's); the test's own assertions go straight to the database and to RabbitMQ.
 */
class TaskDatabaseOutageTest extends NotificationTestBase {

  private static final Duration OUTAGE = Duration.ofSeconds(15);

  private TcpProxy proxy;

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    URI pg = URI.create(db.url());
    proxy = new TcpProxy(pg.getHost(), pg.getPort() == -1 ? 5432 : pg.getPort());
    env.put("ROSTER_PG_URL", proxy.url(db.url()));
    env.put("ROSTER_SCHEDULER_TASK_MAX_ATTEMPTS", "3");
    return env;
  }

  @AfterAll
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private long consumers() {
    return withBroker(ch -> (long) ch.queueDeclarePassive(namespace + ".tasks").getConsumerCount());
  }

  private long queued() {
    return withBroker(ch -> ch.messageCount(namespace + ".tasks"));
  }

  private long deadLetters() {
    return withBroker(ch -> ch.messageCount(namespace + ".tasks.dlq"));
  }

  private long runs(String job, String... statuses) {
    return db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND status = ANY(?)", UUID.fromString(job),
        statuses);
  }

  @Test
  void runsInFlightDuringADatabaseOutageEachFinishOnceAfterIt() throws Exception {
    api.get("/v1/cron-jobs/status", admin.token()).json().getJsonArray("jobs").forEach(o ->
        assertThat(api.patch("/v1/cron-jobs/" + ((JsonObject) o).getString("id"), admin.token(),
            new JsonObject().put("enabled", false)).status()).isEqualTo(200));
    Api.Res created = api.post("/v1/cron-schedule", admin.token(), new JsonObject()
        .put("taskName", "send_event_reminders").put("cronExpression", "*/2 * * * * *").put("concurrency", "allow"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String job = created.json().getString("id");
    eventually(Duration.ofSeconds(30), "the task consumer up", () -> consumers() == 1);

    try (LogCapture logs = LogCapture.start()) {
      long inFlight;
      long cutAt;
      // a SHARE lock on reminders_sent holds each run in its task's INSERT: runs are in flight when the cut comes
      try (Connection lock = db.connect()) {
        lock.setAutoCommit(false);
        try (Statement st = lock.createStatement()) {
          st.execute("LOCK TABLE reminders_sent IN SHARE MODE");
        }
        eventually(Duration.ofSeconds(30), "runs blocked in their task", () -> runs(job, "running") >= 2);
        inFlight = runs(job, "running");
        proxy.cut();
        cutAt = System.nanoTime();
        lock.rollback();
      }
      // a message arriving meanwhile stays in the queue: the worker consumes nothing while the database is away
      // (a quorum queue still counts a cancelled consumer while it holds unacknowledged messages, so ask the queue)
      withBroker(ch -> {
        ch.basicPublish(namespace + ".tasks", "run", null, new JsonObject().put("runId", UUID.randomUUID().toString())
            .put("taskName", "send_event_reminders").toBuffer().getBytes());
        return null;
      });
      long stillOut = OUTAGE.toMillis() - (System.nanoTime() - cutAt) / 1_000_000;
      Thread.sleep(Math.max(0, stillOut));
      assertThat(queued()).as("the message sent during the outage waits in the queue").isEqualTo(1);
      assertThat(deadLetters()).isZero();
      assertThat(logs.lines().stream().filter(l -> l.contains("task worker: ") && l.contains("consumers stopped")).count())
          .as("the worker stopped consuming, once").isEqualTo(1);
      assertThat(logs.contains("not settled")).as("no failed step was handed back to the broker").isFalse();
      proxy.forward();
      long restoredAt = System.nanoTime();

      eventually(Duration.ofSeconds(30), "the task worker consuming again", () -> logs.contains("consuming again"));
      eventually(Duration.ofSeconds(30), "the message sent during the outage consumed", () -> queued() == 0);
      eventually(Duration.ofSeconds(60), "a run claimed after the outage", () ->
          db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND created_at > now() - interval '3 seconds'",
              UUID.fromString(job)) > 0);
      Api.Res off = api.patch("/v1/cron-jobs/" + job, admin.token(), new JsonObject().put("enabled", false));
      assertThat(off.status()).as(off.toString()).isEqualTo(200);
      eventually(Duration.ofSeconds(90), "every run to finish",
          () -> runs(job, "pending", "running", "retrying") == 0);
      long settledMs = (System.nanoTime() - restoredAt) / 1_000_000;

      long total = runs(job, "pending", "running", "retrying", "completed", "failed", "skipped");
      long completed = runs(job, "completed");
      long retried = db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND attempts > 1", UUID.fromString(job));
      List<String> doneTwice = db.strings("SELECT r.id FROM job_runs r JOIN task_logs l ON l.run_id = r.id "
          + "WHERE r.job_id = ?::uuid AND l.message LIKE '%reminder(s) queued%' GROUP BY r.id HAVING count(*) > 1",
          UUID.fromString(job));
      long deadLetters = deadLetters();
      System.out.printf("database outage of %d s: %d run(s), %d in flight at the cut, %d completed, %d retried, "
              + "%d failed, %d done twice, %d dead-lettered; all settled %d ms after the database came back%n",
          OUTAGE.toSeconds(), total, inFlight, completed, retried, runs(job, "failed"), doneTwice.size(), deadLetters,
          settledMs);

      assertThat(completed).as("every run completed").isEqualTo(total);
      assertThat(doneTwice).as("no run's task completed twice").isEmpty();
      assertThat(deadLetters).as("dead-lettered run messages").isZero();
      assertThat(db.count("SELECT count(*) FROM job_runs WHERE job_id = ?::uuid AND finished_at IS NULL",
          UUID.fromString(job))).isZero();
    }
  }
}
