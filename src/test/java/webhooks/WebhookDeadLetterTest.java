package webhooks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.NotificationTestBase;
import support.WebhookReceiver;
import support.WebhookReceiver.Received;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the broker dead-letters from the webhook queue reaches ops: a message rejected without requeue into
 * {@code {ns}.webhooks.dlq} becomes a failed delivery of its endpoint (GET /v1/webhooks/{id}/deliveries) saying the
 * broker dead-lettered it, from where and why, and a redelivery through the API sends it once. A dead letter of a
 * delivery that succeeded changes nothing; an unreadable one is parked in {@code {ns}.webhooks.parked}.
 *
 * <p>The rejection is a real one: the message sits in a queue of this test's making whose dead-letter exchange is
 * the service's ({@code {ns}.webhooks.dlx}), the test takes it and rejects it without requeue, and RabbitMQ moves it
 * to the dead-letter queue with its x-death headers, as for a quorum queue's delivery limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookDeadLetterTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private final WebhookReceiver receiver = new WebhookReceiver();

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1");
    return env;
  }

  @AfterAll
  void stopReceiver() {
    receiver.close();
  }

  @Test
  void aDeadLetteredMessageBecomesAFailedDeliveryThatARedeliverySends() {
    JsonObject hook = endpoint("/dead");
    String endpointId = hook.getString("id");
    UUID messageId = UUID.randomUUID();
    WebhookMessage message = new WebhookMessage(messageId, UUID.fromString(endpointId), new JsonObject()
        .put("type", "member.created").put("timestamp", "2026-12-01T10:00:00Z")
        .put("data", new JsonObject().put("id", UUID.randomUUID().toString())));
    rejectIntoDeadLetters(message.toBuffer().getBytes());

    eventually(WAIT, "the dead letter listed as a failed delivery", () -> deliveries(endpointId).size() == 1
        && "failed".equals(deliveries(endpointId).getJsonObject(0).getString("status")));
    JsonObject failed = deliveries(endpointId).getJsonObject(0);
    assertThat(failed.getString("messageId")).isEqualTo(messageId.toString());
    assertThat(failed.getString("eventType")).isEqualTo("member.created");
    assertThat(failed.getString("lastError")).contains("dead-lettered by the broker").contains("rejected")
        .contains("roster-test-reject");
    assertThat(failed.getString("nextAttemptAt")).isNull();
    eventually(WAIT, "the dead-letter queue emptied", () -> messageCount(deadLetterQueue()) == 0);
    assertThat(receiver.at("/dead")).as("nothing sent before the redelivery").isEmpty();
    assertThat(metric("roster_webhook_dead_lettered_total")).isEqualTo(1);

    Api.Res redelivered = api.post("/v1/webhooks/" + endpointId + "/deliveries/" + failed.getString("id")
        + "/redeliver", admin.token(), null);
    assertThat(redelivered.status()).as(redelivered.toString()).isEqualTo(202);
    eventually(WAIT, "the redelivery succeeded",
        () -> "succeeded".equals(deliveries(endpointId).getJsonObject(0).getString("status")));
    List<Received> got = receiver.at("/dead");
    assertThat(got).as("requests the receiver got").hasSize(1);
    assertThat(got.get(0).header("webhook-id")).isEqualTo(messageId.toString());
    assertThat(WebhookReceiver.verify(hook.getString("secret"), got.get(0))).isTrue();
    assertThat(got.get(0).json()).isEqualTo(message.body());

    // a stray copy of the delivered message, dead-lettered, and something unreadable
    long parkedBefore = messageCount(parkedQueue());
    rejectIntoDeadLetters(message.toBuffer().getBytes());
    withBroker(ch -> {
      ch.confirmSelect();
      ch.basicPublish("", deadLetterQueue(), true, new AMQP.BasicProperties.Builder().deliveryMode(2).build(),
          "not a webhook".getBytes(StandardCharsets.UTF_8));
      ch.waitForConfirmsOrDie(5000);
      return null;
    });
    eventually(WAIT, "the dead-letter queue emptied", () -> messageCount(deadLetterQueue()) == 0);
    eventually(WAIT, "the unreadable message parked", () -> messageCount(parkedQueue()) == parkedBefore + 1);
    assertThat(deliveries(endpointId).getJsonObject(0).getString("status")).as("a delivered one stays so")
        .isEqualTo("succeeded");
    assertThat(receiver.at("/dead")).hasSize(1);
    assertThat(metric("roster_webhook_dead_lettered_total")).as("recorded dead letters").isEqualTo(1);
    assertThat(metric("roster_webhook_poison_total")).as("parked").isEqualTo(1);
    String parked = withBroker(ch -> {
      GetResponse message1 = ch.basicGet(parkedQueue(), false);
      return new String(message1.getBody(), StandardCharsets.UTF_8); // not acked: closing puts it back
    });
    assertThat(parked).isEqualTo("not a webhook");
    System.out.println("WebhookDeadLetterTest: dead letters 2 (1 recorded failed, 1 of a succeeded delivery left "
        + "alone), unreadable 1 parked; requests at the receiver " + receiver.at("/dead").size());
  }

  // ---------------------------------------------------------------- helpers

  private JsonObject endpoint(String path) {
    Api.Res res = api.post("/v1/webhooks", admin.token(), new JsonObject().put("url", receiver.url(path))
        .put("eventTypes", new JsonArray().add("member.created")));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  private JsonArray deliveries(String endpointId) {
    Api.Res res = api.get("/v1/webhooks/" + endpointId + "/deliveries", admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.items();
  }

  private String deadLetterQueue() {
    return namespace + ".webhooks.dlq";
  }

  private String parkedQueue() {
    return namespace + ".webhooks.parked";
  }

  /** Into a queue of ours whose dead-letter exchange is the service's, then rejected there without requeue. */
  private void rejectIntoDeadLetters(byte[] body) {
    awaitDeadLetterConsumer();
    withBroker(ch -> {
      String queue = ch.queueDeclare("roster-test-reject-" + UUID.randomUUID(), false, true, true,
          Map.of("x-dead-letter-exchange", namespace + ".webhooks.dlx", "x-dead-letter-routing-key", "webhook"))
          .getQueue();
      ch.confirmSelect();
      ch.basicPublish("", queue, true, new AMQP.BasicProperties.Builder().contentType("application/json")
          .deliveryMode(2).build(), body);
      ch.waitForConfirmsOrDie(5000);
      GetResponse got = ch.basicGet(queue, false);
      assertThat(got).as("the message in our queue").isNotNull();
      ch.basicReject(got.getEnvelope().getDeliveryTag(), false);
      return null;
    });
  }

  /**
   * The webhook worker consumes its dead-letter queue: the service's topology is declared (a message dead-lettered
   * to an exchange not yet declared is dropped by the broker) and a dead letter is read at once.
   */
  private void awaitDeadLetterConsumer() {
    eventually(WAIT, "the webhook worker consuming its dead-letter queue", () -> {
      try {
        return withBroker(ch -> ch.queueDeclarePassive(deadLetterQueue()).getConsumerCount()) > 0;
      } catch (IllegalStateException notYetDeclared) {
        return false;
      }
    });
  }

  private double metric(String name) {
    Api.Res metrics = api.call("GET", "/metrics").send();
    assertThat(metrics.status()).isEqualTo(200);
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? (\\S+)$").matcher(metrics.raw().body());
    return m.find() ? Double.parseDouble(m.group(2)) : 0;
  }
}
