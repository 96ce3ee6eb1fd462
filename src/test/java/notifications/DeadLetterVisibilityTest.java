package notifications;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the broker dead-letters reaches ops: a message rejected without requeue into a channel's dead-letter queue
 * becomes a failed delivery (GET /v1/notifications?status=failed) saying that the broker dead-lettered it, from
 * where and why, and an admin's retry delivers it once. A dead letter of a delivery already sent changes nothing,
 * and an unreadable one is parked.
 *
 * <p>The rejection is a real one: the message sits in a queue of this test's making whose dead-letter exchange is
 * the service's ({@code {ns}.notifications.dlx}, routing key = channel), the test takes it and rejects it without
 * requeue, and RabbitMQ moves it to the channel's dead-letter queue with its x-death headers, as it would for a
 * quorum queue's delivery limit or a consumer's rejection.
 */
class DeadLetterVisibilityTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aRejectedMessageBecomesAFailedDeliveryThatAnAdminRetries() {
    Texted who = smsMember();
    String event = createEvent(5, 0).getString("id");
    UUID notificationId = UUID.randomUUID();
    rejectIntoDeadLetters(new NotificationMessage(notificationId, "booking.confirmed", "sms",
        UUID.fromString(who.id()), new JsonObject().put("eventId", event)));

    eventually(WAIT, "the dead letter listed as a failed delivery", () -> failedDelivery(notificationId) != null);
    JsonObject failed = failedDelivery(notificationId);
    assertThat(failed.getString("channel")).isEqualTo("sms");
    assertThat(failed.getString("memberId")).isEqualTo(who.id());
    assertThat(failed.getString("lastError")).contains("dead-lettered by the broker").contains("rejected")
        .contains("roster-test-reject");
    eventually(WAIT, "the dead-letter queue emptied", () -> messageCount(deadLetterQueue("sms")) == 0);
    assertThat(smsTo(who.phone())).as("nothing sent before the retry").isEmpty();

    Api.Res retried = api.post("/v1/notifications/" + failed.getString("id") + "/retry", admin.token(), null);
    assertThat(retried.status()).as(retried.toString()).isEqualTo(202);
    eventually(WAIT, "the retried delivery sent", () -> "sent".equals(status(notificationId)));
    assertThat(smsTo(who.phone())).as("requests the provider got for the member").hasSize(1);
    assertThat(smsTo(who.phone()).get(0).form("Body")).contains("Spin class");
    assertThat(failedDelivery(notificationId)).isNull();
  }

  @Test
  void aDeadLetterOfASentDeliveryChangesNothingAndPoisonIsParked() {
    Texted who = smsMember();
    assertThat(book(who.person(), createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the booking's SMS sent", () -> db.count("SELECT count(*) FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND status = 'sent'", who.id()) == 1);
    String row = db.strings("SELECT notification_id || '|' || kind || '|' || payload::text FROM "
        + "notification_deliveries WHERE member_id = ?::uuid", who.id()).get(0);
    String[] parts = row.split("\\|", 3);
    UUID notificationId = UUID.fromString(parts[0]);
    long parkedBefore = messageCount(parkedQueue("sms"));

    // a stray copy of the sent message, dead-lettered, and something unreadable
    rejectIntoDeadLetters(new NotificationMessage(notificationId, parts[1], "sms", UUID.fromString(who.id()),
        new JsonObject(parts[2])));
    withBroker(ch -> {
      ch.confirmSelect();
      ch.basicPublish("", deadLetterQueue("sms"), true, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
          "not a notification".getBytes(StandardCharsets.UTF_8));
      ch.waitForConfirmsOrDie(5000);
      return null;
    });

    eventually(WAIT, "the dead-letter queue emptied", () -> messageCount(deadLetterQueue("sms")) == 0);
    eventually(WAIT, "the unreadable message parked", () -> messageCount(parkedQueue("sms")) == parkedBefore + 1);
    assertThat(status(notificationId)).as("a sent delivery stays sent").isEqualTo("sent");
    assertThat(failedDelivery(notificationId)).isNull();
    assertThat(smsTo(who.phone())).as("requests the provider got for the member").hasSize(1);
    String parked = withBroker(ch -> {
      GetResponse got = ch.basicGet(parkedQueue("sms"), false);
      return new String(got.getBody(), StandardCharsets.UTF_8); // not acked: closing the channel puts it back
    });
    assertThat(parked).isEqualTo("not a notification");
  }

  // ---------------------------------------------------------------- helpers

  /** A member reached by SMS only. */
  record Texted(Person person, String phone) {
    String id() {
      return person.id();
    }
  }

  private Texted smsMember() {
    Person person = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(),
        new JsonObject().put("channels", new JsonArray().add("sms")).put("phone", phone));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return new Texted(person, phone);
  }

  /**
   * The message goes into a queue of ours whose dead-letter exchange is the service's, and is rejected there
   * without requeue: RabbitMQ dead-letters it into the channel's dead-letter queue.
   */
  private void rejectIntoDeadLetters(NotificationMessage message) {
    withBroker(ch -> {
      String queue = ch.queueDeclare("roster-test-reject-" + UUID.randomUUID(), false, true, true,
          Map.of("x-dead-letter-exchange", namespace + ".notifications.dlx",
              "x-dead-letter-routing-key", message.channel())).getQueue();
      ch.confirmSelect();
      ch.basicPublish("", queue, true, new AMQP.BasicProperties.Builder().contentType("application/json")
          .deliveryMode(2).messageId(message.notificationId().toString()).type(message.kind()).build(),
          message.toBuffer().getBytes());
      ch.waitForConfirmsOrDie(5000);
      GetResponse got = ch.basicGet(queue, false);
      assertThat(got).as("the message in our queue").isNotNull();
      ch.basicReject(got.getEnvelope().getDeliveryTag(), false);
      return null;
    });
  }

  private JsonObject failedDelivery(UUID notificationId) {
    List<JsonObject> out = new ArrayList<>();
    Api.Res res = api.get("/v1/notifications?status=failed&limit=100", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    res.items().forEach(item -> out.add((JsonObject) item));
    return out.stream().filter(d -> notificationId.toString().equals(d.getString("notificationId"))).findFirst()
        .orElse(null);
  }

  private String status(UUID notificationId) {
    List<String> statuses = db.strings("SELECT status FROM notification_deliveries WHERE notification_id = ?::uuid",
        notificationId.toString());
    return statuses.isEmpty() ? null : statuses.get(0);
  }

  private List<ProviderRecorder.Request> smsTo(String phone) {
    return sms.requests().stream().filter(r -> phone.equals(r.form("To"))).toList();
  }
}
