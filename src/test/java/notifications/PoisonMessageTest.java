package notifications;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.Test;
import support.NotificationTestBase;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message the workers cannot read (not ours, not JSON) is moved at once to the channel's parked queue (it cannot
 * become a delivery row, so it waits there for ops), and the queue goes on: later notifications are still
 * delivered. Unreadable messages in the dead-letter queue, which the workers also consume, are parked too.
 */
class PoisonMessageTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration PARK_WAIT = Duration.ofSeconds(8);

  @Test
  void unreadableMessagesAreParkedAndDoNotBlockTheQueue() throws Exception {
    List<String> poison = List.of("not json", "{\"foo\":1}",
        "{\"notificationId\":\"not-a-uuid\",\"kind\":\"booking.confirmed\",\"channel\":\"email\"}");
    long parkedBefore = depth(parkedQueue("email"));

    publishRaw(poison);

    // a booking made afterwards is still mailed
    Person who = member();
    String email = who.json().getString("email");
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the confirmation mail after the poison", () -> mailsTo(email).size() == 1);
    eventually(WAIT, "the delivery is sent", () -> db.count("SELECT count(*) FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND channel = 'email' AND status = 'sent'", who.id()) == 1);
    assertThat(mailsTo(email).get(0).getSubject()).contains("Spin class");
    assertThat(depth(queue("email"))).as("nothing left in the e-mail queue").isZero();
    assertThat(db.count("SELECT count(*) FROM notification_deliveries d WHERE NOT EXISTS "
        + "(SELECT 1 FROM outbox o WHERE o.id = d.notification_id)")).as("poison made no delivery record").isZero();

    // and the poison is parked for ops, not dropped, and counted
    eventually(PARK_WAIT, "the poison messages are parked",
        () -> depth(parkedQueue("email")) == parkedBefore + poison.size());
    assertThat(parkedBodies()).containsAll(poison);
    assertThat(depth(deadLetterQueue("email"))).as("nothing left in the dead-letter queue").isZero();
  }

  @Test
  void poisonAmongGoodMessagesOnlyParksThePoison() throws Exception {
    long parkedBefore = depth(parkedQueue("email"));
    Person first = member();
    Person second = member();
    String eventId = createEvent(5, 0).getString("id");

    assertThat(book(first, eventId).status()).isEqualTo(201);
    publishRaw(List.of("\u0000\u0001 binary garbage", "[1,2,3]"));
    assertThat(book(second, eventId).status()).isEqualTo(201);

    eventually(WAIT, "both members are mailed", () -> mailsTo(first.json().getString("email")).size() == 1
        && mailsTo(second.json().getString("email")).size() == 1);
    assertThat(depth(queue("email"))).isZero();
    eventually(PARK_WAIT, "the poison messages are parked",
        () -> depth(parkedQueue("email")) == parkedBefore + 2);
  }

  private long depth(String queue) {
    return withBroker(ch -> ch.messageCount(queue));
  }

  /** Straight to the e-mail queue through the default exchange, as a stray producer would. */
  private void publishRaw(List<String> bodies) {
    withBroker(ch -> {
      ch.confirmSelect();
      for (String body : bodies) {
        ch.basicPublish("", queue("email"), true,
            new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2).build(),
            body.getBytes(StandardCharsets.UTF_8));
      }
      ch.waitForConfirmsOrDie(5000);
      return null;
    });
  }

  /** The bodies in the e-mail parked queue, left there (read without ack, then requeued). */
  private List<String> parkedBodies() {
    return withBroker(ch -> {
      List<String> bodies = new ArrayList<>();
      List<Long> tags = new ArrayList<>();
      GetResponse got;
      while ((got = ch.basicGet(parkedQueue("email"), false)) != null) {
        bodies.add(new String(got.getBody(), StandardCharsets.UTF_8));
        tags.add(got.getEnvelope().getDeliveryTag());
      }
      for (long tag : tags) {
        ch.basicReject(tag, true);
      }
      return bodies;
    });
  }
}
