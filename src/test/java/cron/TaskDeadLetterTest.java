package cron;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.LogCapture;
import support.NotificationTestBase;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A run message the broker dead-letters (past a quorum queue's delivery limit, or rejected) does not vanish: its
 * run becomes {@code failed} with the broker's reason, as the API shows runs, and a manual trigger runs the job
 * again. A run that had already ended keeps its outcome; an unreadable dead letter is logged and dropped.
 */
class TaskDeadLetterTest extends NotificationTestBase {

  private String job;

  @BeforeAll
  void quietJobs() {
    api.get("/v1/cron-jobs/status", admin.token()).json().getJsonArray("jobs").forEach(o -> {
      Api.Res res = api.patch("/v1/cron-jobs/" + ((JsonObject) o).getString("id"), admin.token(),
          new JsonObject().put("enabled", false));
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
    });
    Api.Res created = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "generate_schedule")
        .put("cronExpression", "0 3 1 1 *").put("enabled", false).put("payload", new JsonObject().put("weeksAhead", 1)));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    job = created.json().getString("id");
  }

  private String runRow(String status) {
    return db.strings("INSERT INTO job_runs (job_id, scheduled_for, trigger, status, attempts) "
        + "VALUES (?::uuid, now(), 'manual', ?, 0) RETURNING id", UUID.fromString(job), status).get(0);
  }

  /** Dead-letters a message the way the broker does: through a queue whose dead-letter exchange is the tasks'. */
  private void deadLetter(byte[] body) {
    String scratch = namespace + ".scratch." + UUID.randomUUID();
    withBroker(ch -> {
      ch.queueDeclare(scratch, false, false, false, Map.of("x-dead-letter-exchange", namespace + ".tasks.dlx",
          "x-dead-letter-routing-key", "run"));
      try {
        ch.basicPublish("", scratch, new AMQP.BasicProperties.Builder().contentType("application/json").build(), body);
        GetResponse got = null;
        for (int i = 0; i < 50 && got == null; i++) {
          got = ch.basicGet(scratch, false);
        }
        assertThat(got).as("the message in the scratch queue").isNotNull();
        ch.basicReject(got.getEnvelope().getDeliveryTag(), false);
      } finally {
        ch.queueDelete(scratch);
      }
      return null;
    });
  }

  private byte[] message(String runId) {
    return new JsonObject().put("runId", runId).put("jobId", job).put("taskName", "generate_schedule")
        .put("payload", new JsonObject()).put("retry", 0).toBuffer().getBytes();
  }

  private JsonObject runOf(String runId) {
    Api.Res res = api.get("/v1/cron-jobs/" + job + "/runs?limit=100", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items().stream().map(JsonObject.class::cast).filter(r -> r.getString("id").equals(runId))
        .findFirst().orElseThrow();
  }

  private long deadLetters() {
    return withBroker(ch -> ch.messageCount(namespace + ".tasks.dlq"));
  }

  @Test
  void aDeadLetteredRunFailsWithTheReasonAndATriggerRunsTheJobAgain() {
    String lost = runRow("pending");
    deadLetter(message(lost));
    eventually(Duration.ofSeconds(20), "the dead-lettered run to fail",
        () -> "failed".equals(runOf(lost).getString("status")));
    JsonObject failed = runOf(lost);
    assertThat(failed.getString("error")).contains("dead-lettered").contains("rejected").contains("trigger");
    assertThat(failed.getString("finishedAt")).isNotNull();
    eventually(Duration.ofSeconds(10), "the dead-letter queue emptied", () -> deadLetters() == 0);

    Api.Res again = api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", job));
    assertThat(again.status()).as(again.toString()).isEqualTo(202);
    String rerun = again.json().getString("id");
    eventually(Duration.ofSeconds(20), "the job to run again",
        () -> "completed".equals(runOf(rerun).getString("status")));
    assertThat(runOf(lost).getString("status")).as("the failed run stays as it was").isEqualTo("failed");
  }

  @Test
  void aDeadLetterOfARunThatEndedChangesNothing() {
    String done = runRow("completed");
    deadLetter(message(done));
    eventually(Duration.ofSeconds(20), "the dead-letter queue emptied", () -> deadLetters() == 0);
    assertThat(runOf(done).getString("status")).isEqualTo("completed");
    assertThat(runOf(done).getValue("error")).isNull();
  }

  @Test
  void anUnreadableDeadLetterIsLoggedAndDropped() {
    try (LogCapture logs = LogCapture.start()) {
      deadLetter("not a task message".getBytes(StandardCharsets.UTF_8));
      eventually(Duration.ofSeconds(20), "the unreadable dead letter logged",
          () -> logs.contains("dropping an unreadable message") && logs.contains("not a task message"));
      eventually(Duration.ofSeconds(10), "the dead-letter queue emptied", () -> deadLetters() == 0);
    }
  }
}
