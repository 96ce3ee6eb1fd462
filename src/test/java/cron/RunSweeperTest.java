package cron;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.DirectDatabaseTestBase;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The run sweeper queues again the runs stuck running or retrying past their lease plus the grace, once per
 * grace, with the same task message a claim writes, and leaves alone live, recent, pending and finished runs; a
 * run that finished after it was queued again is not run again (the worker's start finds it done).
 */
class RunSweeperTest extends DirectDatabaseTestBase {

  private static final long GRACE_MS = 1500;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private RunSweeper sweeper;
  private String job;

  @BeforeAll
  void makeSweeper() {
    sweeper = new RunSweeper(new CronRepository(), new CronMetrics(registry), GRACE_MS);
  }

  @BeforeEach
  void freshJob() {
    db.update("DELETE FROM outbox");
    db.update("DELETE FROM job_runs");
    job = db.strings("INSERT INTO cron_jobs (task_name, cron_expression, payload, enabled) "
        + "VALUES ('purge_expired', '0 3 1 1 *', '{\"retentionDays\": 30}', false) RETURNING id").get(0);
  }

  /** A run of the job in a given state, its lease this many milliseconds from now (null: none). */
  private String run(String status, Long leaseFromNowMs, int attempts) {
    return db.strings("INSERT INTO job_runs (job_id, scheduled_for, trigger, status, attempts, lease_until) "
        + "VALUES (?::uuid, now(), 'manual', ?, ?, now() + make_interval(secs => ?::float8 / 1000)) RETURNING id",
        job, status, attempts, leaseFromNowMs).get(0);
  }

  private int sweep() {
    return await(pool.withConnection(sweeper::sweep));
  }

  private Map<String, JsonObject> queuedMessages() {
    Map<String, JsonObject> byRun = new HashMap<>();
    for (String payload : db.strings("SELECT payload::text FROM outbox WHERE kind = 'task.run'")) {
      JsonObject message = new JsonObject(payload);
      assertThat(byRun.put(message.getString("runId"), message)).as("one message per run and sweep").isNull();
    }
    return byRun;
  }

  @Test
  void runsStuckPastLeaseAndGraceAreQueuedAgainOncePerGrace() throws Exception {
    double republishedBefore = republished();
    String deadWorker = run("running", -GRACE_MS - 5_000, 1);
    String lostRetry = run("retrying", -GRACE_MS - 5_000, 2);
    String live = run("running", 60_000L, 1);
    String withinGrace = run("retrying", -GRACE_MS / 3, 1);
    String pending = run("pending", null, 0);
    String completed = run("completed", -GRACE_MS - 5_000, 1);
    String failed = run("failed", -GRACE_MS - 5_000, 3);

    assertThat(sweep()).isEqualTo(2);
    Map<String, JsonObject> queued = queuedMessages();
    assertThat(queued.keySet()).containsExactlyInAnyOrder(deadWorker, lostRetry);
    JsonObject message = queued.get(lostRetry);
    assertThat(message.getString("jobId")).isEqualTo(job);
    assertThat(message.getString("taskName")).isEqualTo("purge_expired");
    assertThat(message.getJsonObject("payload")).isEqualTo(new JsonObject().put("retentionDays", 30));
    assertThat(message.getInteger("retry")).as("the next retry after its attempts").isEqualTo(2);
    assertThat(db.strings("SELECT status FROM job_runs WHERE id IN (?::uuid, ?::uuid)", deadWorker, lostRetry))
        .as("their statuses stay for the worker to decide").containsExactlyInAnyOrder("running", "retrying");
    assertThat(db.count("SELECT count(*) FROM job_runs WHERE id IN (?::uuid, ?::uuid, ?::uuid, ?::uuid, ?::uuid) "
        + "AND status IN ('running', 'retrying', 'pending', 'completed', 'failed')", live, withinGrace, pending,
        completed, failed)).isEqualTo(5);

    assertThat(sweep()).as("not queued twice within the grace").isZero();
    assertThat(queuedMessages()).hasSize(2);

    Thread.sleep(GRACE_MS + 500);
    // still stuck a grace later (their messages were lost again): queued again, and now the one whose retry was due
    db.update("DELETE FROM outbox");
    assertThat(sweep()).isEqualTo(3);
    assertThat(queuedMessages().keySet()).containsExactlyInAnyOrder(deadWorker, lostRetry, withinGrace);
    assertThat(republished() - republishedBefore).as("roster_scheduler_runs_republished_total").isEqualTo(5.0);
  }

  @Test
  void aRunThatFinishedAfterItWasQueuedAgainIsNotRunAgain() {
    String slow = run("running", -GRACE_MS - 5_000, 1);
    assertThat(sweep()).isEqualTo(1);
    // its first worker was slow, not dead: it records the outcome before the new message arrives
    db.update("UPDATE job_runs SET status = 'completed', finished_at = now(), lease_until = NULL WHERE id = ?::uuid",
        slow);
    CronRepository.Start start = await(pool.withTransaction(tx ->
        new CronRepository().start(tx, UUID.fromString(slow), "another-node", 60_000)));
    assertThat(start).isEqualTo(CronRepository.Start.DONE);
    assertThat(db.strings("SELECT status || '/' || attempts FROM job_runs WHERE id = ?::uuid", slow))
        .isEqualTo(List.of("completed/1"));

    String taken = run("running", -GRACE_MS - 5_000, 1);
    assertThat(sweep()).isEqualTo(1);
    // its worker really died: the new message starts it on another node
    CronRepository.Start takeover = await(pool.withTransaction(tx -> new CronRepository().start(tx,
        UUID.fromString(taken), "another-node", 60_000)));
    assertThat(takeover).isEqualTo(CronRepository.Start.STARTED);
    assertThat(db.strings("SELECT node_id || '/' || attempts FROM job_runs WHERE id = ?::uuid", taken))
        .isEqualTo(List.of("another-node/2"));
  }

  private double republished() {
    var counter = registry.find("roster.scheduler.runs.republished").counter();
    return counter == null ? 0 : counter.count();
  }

}
