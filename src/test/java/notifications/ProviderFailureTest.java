package notifications;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder;
import support.ProviderRecorder.Answer;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What happens when a provider fails: transient errors are retried with backoff until they succeed or the
 * attempts run out (then failed, listed for ops), permanent errors fail at once, a failed delivery can be
 * sent again by an admin, a provider's Retry-After is honoured, and an SMTP outage only delays the mail.
 */
class ProviderFailureTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);

  /** A delivery row as the worker left it. */
  record Delivery(String id, String notificationId, String status, int attempts, String lastError) {
  }

  @BeforeEach
  void resetProviders() {
    sms.reset();
    push.reset();
  }

  @Test
  void serverErrorsAreRetriedUntilTheProviderAccepts() {
    sms.script(Answer.of(500), Answer.of(500), Answer.of(500));
    Person who = smsMember();
    String phone = who.json().getString("phone");

    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);

    eventually(WAIT, "the SMS delivery is sent", () -> "sent".equals(statusOf(who, "sms")));
    Delivery d = delivery(who, "sms");
    assertThat(d.attempts()).isEqualTo(4);
    assertThat(d.lastError()).isNull();
    assertThat(smsTo(phone)).as("three refused requests, then the one that succeeded").hasSize(4);
    assertThat(sms.requests()).hasSize(4);
    // nothing of it is left in the queues to be sent again
    assertQueuesEmpty("sms");
    assertThat(smsTo(phone)).hasSize(4);
  }

  @Test
  void aClientErrorFailsAtOnceAndAnAdminCanRetryIt() {
    // a refusal about our sender, not the member's number (which would be cleared: DeadPhoneNumberTest)
    sms.answerAlways(new Answer(400, "{\"code\":21606,\"message\":\"The 'From' number is not valid.\"}", Map.of()));
    Person who = smsMember();
    String phone = who.json().getString("phone");

    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);

    eventually(WAIT, "the SMS delivery fails", () -> "failed".equals(statusOf(who, "sms")));
    Delivery failed = delivery(who, "sms");
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failed.lastError()).contains("400");
    assertThat(smsTo(phone)).as("a permanent error is not retried").hasSize(1);

    List<JsonObject> listed = allDeliveries("status=failed");
    assertThat(listed).extracting(j -> j.getString("id")).contains(failed.id());
    JsonObject item = listed.stream().filter(j -> j.getString("id").equals(failed.id())).findFirst().orElseThrow();
    assertThat(item.getString("status")).isEqualTo("failed");
    assertThat(item.getString("channel")).isEqualTo("sms");
    assertThat(item.getString("memberId")).isEqualTo(who.id());
    assertThat(item.getString("lastError")).contains("400");
    assertThat(listed).allMatch(j -> j.getString("status").equals("failed"));

    // others may not send it again
    assertProblem(api.post("/v1/notifications/" + failed.id() + "/retry", who.token(), null), 403, "forbidden");
    assertProblem(api.post("/v1/notifications/" + failed.id() + "/retry", trainer.token(), null), 403, "forbidden");
    assertThat(smsTo(phone)).hasSize(1);
    assertThat(delivery(who, "sms").status()).isEqualTo("failed");

    sms.answerAlways(Answer.of(200));
    Api.Res retried = api.post("/v1/notifications/" + failed.id() + "/retry", admin.token(), null);
    assertThat(retried.status()).as(retried.toString()).isEqualTo(202);
    assertThat(retried.json().getString("id")).isEqualTo(failed.id());
    assertThat(retried.json().getString("status")).isEqualTo("pending");
    assertThat(retried.json().getString("channel")).isEqualTo("sms");

    eventually(WAIT, "the retried SMS is sent", () -> "sent".equals(statusOf(who, "sms")));
    assertThat(smsTo(phone)).as("exactly one more request").hasSize(2);
    Delivery sent = delivery(who, "sms");
    assertThat(sent.id()).isEqualTo(failed.id());
    assertThat(sent.notificationId()).isEqualTo(failed.notificationId());
    assertThat(sent.attempts()).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid", who.id()))
        .as("the retry reuses the delivery, on its channel only").isEqualTo(1);
    assertThat(allDeliveries("status=failed")).extracting(j -> j.getString("id")).doesNotContain(failed.id());

    assertProblem(api.post("/v1/notifications/" + failed.id() + "/retry", admin.token(), null), 409,
        "notification_not_failed");
    assertProblem(api.post("/v1/notifications/" + UUID.randomUUID() + "/retry", admin.token(), null), 404,
        "not_found");
    assertQueuesEmpty("sms");
    assertThat(smsTo(phone)).hasSize(2);
  }

  @Test
  void tooManyRequestsWaitsForRetryAfter() {
    sms.script(new Answer(429, "{\"message\":\"slow down\"}", Map.of("Retry-After", "1")));
    Person who = smsMember();
    String phone = who.json().getString("phone");

    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);

    // poll finely: the gap between the two requests is measured to within a few milliseconds
    long first = 0;
    long second = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (second == 0 && System.nanoTime() < deadline) {
      int seen = smsTo(phone).size();
      long now = System.nanoTime();
      if (seen >= 1 && first == 0) {
        first = now;
      }
      if (seen >= 2) {
        second = now;
      }
      sleepMs(5);
    }
    assertThat(first).as("the first request").isNotZero();
    assertThat(second).as("the request after Retry-After").isNotZero();
    long gapMs = (second - first) / 1_000_000;
    assertThat(gapMs).as("ms between the 429 and the next request (Retry-After: 1)").isGreaterThanOrEqualTo(950);

    eventually(WAIT, "the SMS delivery is sent", () -> "sent".equals(statusOf(who, "sms")));
    assertThat(delivery(who, "sms").attempts()).isEqualTo(2);
    assertThat(smsTo(phone)).hasSize(2);
  }

  @Test
  void anSmtpOutageDelaysTheMailWhichArrivesOnce() throws Exception {
    int port = smtp.getSmtp().getPort();
    Person who = member(); // e-mail only, the default
    String email = who.json().getString("email");
    String eventId = createEvent(5, 0).getString("id");

    smtp.stop();
    try {
      assertThat(book(who, eventId).status()).isEqualTo(201);
      eventually(WAIT, "the mail delivery is being retried", () -> {
        Delivery d = deliveryOrNull(who, "email");
        return d != null && d.status().equals("pending") && d.attempts() >= 2;
      });
      Delivery retrying = delivery(who, "email");
      assertThat(retrying.lastError()).isNotBlank();
    } finally {
      smtp = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
      smtp.start();
    }

    eventually(WAIT, "the mail arrives once the server is back", () -> mailsTo(email).size() >= 1);
    eventually(WAIT, "the mail delivery is sent", () -> "sent".equals(statusOf(who, "email")));
    assertThat(delivery(who, "email").attempts()).isBetween(2, 4);
    assertQueuesEmpty("email");
    assertThat(mailsTo(email)).as("exactly one mail").hasSize(1);
    assertThat(mailsTo(email).get(0).getSubject()).contains("Spin class");
  }

  @Test
  void exhaustedRetriesFailAndAreListedNotDeadLettered() {
    sms.answerAlways(Answer.of(500));
    long deadBefore = withBroker(ch -> ch.messageCount(deadLetterQueue("sms")));
    Person who = smsMember();
    String phone = who.json().getString("phone");

    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);

    eventually(WAIT, "the SMS delivery fails", () -> "failed".equals(statusOf(who, "sms")));
    Delivery d = delivery(who, "sms");
    assertThat(d.attempts()).isEqualTo(4);
    assertThat(d.lastError()).contains("500");
    assertThat(smsTo(phone)).as("max attempts 4").hasSize(4);
    assertThat(allDeliveries("status=failed")).extracting(j -> j.getString("id")).contains(d.id());

    // the failed row is the record ops list and retry: the message is acked, not dead-lettered
    assertQueuesEmpty("sms");
    long deadAfter = withBroker(ch -> ch.messageCount(deadLetterQueue("sms")));
    assertThat(deadAfter).as("messages in the dead-letter queue").isEqualTo(deadBefore);
    assertThat(smsTo(phone)).hasSize(4);
  }

  // ---- fixtures ----

  /** A member reached by SMS only. */
  private Person smsMember() {
    Person person = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(),
        new JsonObject().put("channels", new JsonArray().add("sms")).put("phone", phone));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return new Person(person.id(), person.subject(), person.token(), res.json());
  }

  private List<ProviderRecorder.Request> smsTo(String phone) {
    return sms.requests().stream().filter(r -> ("To=" + phone).equals(formField(r.body(), "To"))).toList();
  }

  private static String formField(String body, String name) {
    for (String pair : body.split("&")) {
      String[] kv = pair.split("=", 2);
      if (URLDecoder.decode(kv[0], StandardCharsets.UTF_8).equals(name)) {
        return name + "=" + (kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
      }
    }
    return null;
  }

  /** The channel's queue and its delay queues hold nothing (no copy waits to be sent again). */
  private void assertQueuesEmpty(String channel) {
    eventually(Duration.ofSeconds(5), channel + " queues drained", () -> withBroker(ch -> {
      long n = ch.messageCount(queue(channel));
      for (String delay : List.of("300", "600", "1200")) {
        n += ch.messageCount(queue(channel) + ".retry." + delay);
      }
      return n;
    }) == 0);
  }

  private String statusOf(Person who, String channel) {
    Delivery d = deliveryOrNull(who, channel);
    return d == null ? null : d.status();
  }

  private Delivery delivery(Person who, String channel) {
    Delivery d = deliveryOrNull(who, channel);
    assertThat(d).as(channel + " delivery of " + who.id()).isNotNull();
    return d;
  }

  private Delivery deliveryOrNull(Person who, String channel) {
    try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement("SELECT id::text, "
        + "notification_id::text, status, attempts, last_error FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND channel = ?")) {
      st.setString(1, who.id());
      st.setString(2, channel);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Delivery d = new Delivery(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5));
        assertThat(rs.next()).as("one " + channel + " delivery per member in this test").isFalse();
        return d;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<JsonObject> allDeliveries(String query) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 50; page++) {
      Api.Res res = api.get("/v1/notifications?limit=100&" + query + (cursor == null ? "" : "&cursor=" + cursor),
          admin.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      res.items().forEach(item -> out.add((JsonObject) item));
      cursor = res.json().getString("nextCursor");
      if (cursor == null) {
        return out;
      }
    }
    throw new AssertionError("more than 50 pages of deliveries");
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
