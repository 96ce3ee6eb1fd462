package notifications;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder.Answer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the SMS and push providers answer about a member stays out of the logs and out of a delivery's
 * lastError: a provider that echoes the phone number, the e-mail address and the device token in its error
 * fails the delivery with the reason, not the data. And deliveries, which say who was notified of what, are
 * purged with the other retained data.
 */
class DeliveryPrivacyTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void captureLogs() {
    sms.reset();
    push.reset();
    logs.list.clear();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
  }

  @AfterEach
  void stopCapturing() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    logs.stop();
  }

  @Test
  void providerAnswersAreRedactedInLastErrorAndLogs() {
    Person ada = member();
    String email = ada.json().getString("email");
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    String pushToken = "dQw4w9WgXcQ:APA91b" + UUID.randomUUID().toString().replace("-", "") + "Hun4MxP5egoKMwt2";
    Api.Res set = api.patch("/v1/members/" + ada.id(), admin.token(), new JsonObject().put("phone", phone)
        .put("pushToken", pushToken).put("channels", new JsonArray().add("sms").add("push")));
    assertThat(set.status()).as(set.toString()).isEqualTo(200);
    sms.answerAlways(new Answer(400, "{\"code\": 21211, \"message\": \"The 'To' number " + phone + " (" + email
        + ") is not a valid phone number.\", \"more_info\": \"https://www.twilio.com/docs/errors/21211\"}", Map.of()));
    push.answerAlways(new Answer(400, "{\"error\": {\"code\": 400, \"message\": \"The registration token is not a "
        + "valid FCM registration token: " + pushToken + "\", \"status\": \"INVALID_ARGUMENT\"}}", Map.of()));

    assertThat(book(ada, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "both deliveries fail", () -> db.count("SELECT count(*) FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND status = 'failed'", ada.id()) == 2);

    List<String> secrets = List.of(phone, phone.substring(1), email, pushToken, pushToken.substring(0, 24));
    List<JsonObject> failed = failedDeliveriesOf(ada);
    assertThat(failed).hasSize(2);
    for (JsonObject delivery : failed) {
      String lastError = delivery.getString("lastError");
      assertThat(lastError).as("the reason is kept").contains("answered 400");
      for (String secret : secrets) {
        assertThat(lastError).as(delivery.getString("channel") + " lastError").doesNotContain(secret);
      }
    }
    JsonObject sent = failed.stream().filter(d -> d.getString("channel").equals("sms")).findFirst().orElseThrow();
    assertThat(sent.getString("lastError")).contains("21211").contains("[phone]").contains("[email]");
    JsonObject pushed = failed.stream().filter(d -> d.getString("channel").equals("push")).findFirst().orElseThrow();
    assertThat(pushed.getString("lastError")).contains("INVALID_ARGUMENT").contains("[token]");
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid "
        + "AND (last_error LIKE '%' || ? || '%' OR last_error LIKE '%' || ? || '%' OR last_error LIKE '%' || ? || '%')",
        ada.id(), phone.substring(1), email, pushToken.substring(0, 24))).as("stored lastError").isZero();

    List<String> lines = logs.list.stream().map(e -> e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage())).toList();
    assertThat(lines).as("the worker logged the failures").anyMatch(l -> l.contains("failed after 1 attempt"));
    for (String line : lines) {
      for (String secret : secrets) {
        assertThat(line).as("a log line").doesNotContain(secret);
      }
    }
  }

  @Test
  void purgeExpiredDeletesFinishedDeliveriesOlderThanTheRetention() {
    String tag = UUID.randomUUID().toString();
    delivery(tag, "old-sent", "sent", 30);
    delivery(tag, "old-failed", "failed", 30);
    delivery(tag, "old-pending", "pending", 30);
    delivery(tag, "recent-sent", "sent", 2);
    delivery(tag, "recent-failed", "failed", 0);

    Api.Res job = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "purge_expired")
        .put("cronExpression", "0 3 1 1 *").put("enabled", false).put("payload", new JsonObject().put("retentionDays", 14)));
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    String jobId = job.json().getString("id");
    Api.Res run = api.post("/v1/cron-jobs/trigger", admin.token(), new JsonObject().put("jobId", jobId));
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    String runId = run.json().getString("id");
    eventually(WAIT, "the purge run completes", () -> api.get("/v1/cron-jobs/" + jobId + "/runs", admin.token())
        .items().stream().map(JsonObject.class::cast)
        .anyMatch(r -> r.getString("id").equals(runId) && r.getString("status").equals("completed")));

    assertThat(remaining(tag)).containsExactlyInAnyOrder("old-pending", "recent-sent", "recent-failed");
  }

  // ---- helpers

  private List<JsonObject> failedDeliveriesOf(Person who) {
    Api.Res res = api.get("/v1/notifications?status=failed&limit=100", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items().stream().map(JsonObject.class::cast).filter(d -> who.id().equals(d.getString("memberId"))).toList();
  }

  /** A delivery row created and last changed {@code daysAgo} days ago. */
  private void delivery(String tag, String name, String status, int daysAgo) {
    db.update("INSERT INTO notification_deliveries (notification_id, channel, kind, payload, status, attempts, "
        + "created_at, updated_at, sent_at) VALUES (gen_random_uuid(), 'sms', 'booking.confirmed', "
        + "jsonb_build_object('tag', ?::text, 'name', ?::text), ?, 1, now() - make_interval(days => ?), "
        + "now() - make_interval(days => ?), CASE WHEN ? = 'sent' THEN now() - make_interval(days => ?) END)",
        tag, name, status, daysAgo, daysAgo, status, daysAgo);
  }

  private List<String> remaining(String tag) {
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT payload->>'name' FROM notification_deliveries WHERE payload->>'tag' = ?")) {
      st.setString(1, tag);
      try (var rs = st.executeQuery()) {
        List<String> names = new java.util.ArrayList<>();
        while (rs.next()) {
          names.add(rs.getString(1));
        }
        return names;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
