package notifications;

import com.icegreen.greenmail.util.GreenMail;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;
import support.TcpProxy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RabbitMQ goes away while members keep booking: the bookings succeed (the outbox holds their notifications),
 * {@code /health} says the broker is DOWN while readiness stays UP (bookings never touch the broker), and once the
 * broker is back every notification is delivered exactly once, none lost, none doubled.
 *
 * <p>The service (relay and worker) reaches RabbitMQ through a TCP proxy written here with its own Vert.x, so the
 * test can cut every connection (both sides) and refuse new ones, then listen again on the same port. Assertions
 * on the broker itself ({@code withBroker}) go straight to RabbitMQ, not through the proxy.
 */
class BrokerOutageTest extends NotificationTestBase {

  private static final int OUTAGE_BOOKINGS = 500;
  private static final int WINDOW = 50;
  private static final Duration RECOVERY = Duration.ofSeconds(60);

  private TcpProxy proxy;

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    URI broker = URI.create(AMQP_URL);
    proxy = new TcpProxy(broker.getHost(), broker.getPort() == -1 ? 5672 : broker.getPort());
    env.put("ROSTER_AMQP_URL", proxy.url(AMQP_URL));
    return env;
  }

  @AfterAll
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  @Test
  void bookingsDuringABrokerOutageAreMailedExactlyOnceAfterIt() throws Exception {
    eventually(Duration.ofSeconds(30), "the broker connections up", () ->
        api.call("GET", "/health").send().status() == 200);
    // the pipeline works through the proxy
    assertThat(proxy.connectionsSeen()).as("relay and worker connect through the proxy").isGreaterThanOrEqualTo(2);
    Person first = member();
    assertThat(book(first, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    String firstEmail = first.json().getString("email");
    eventually(Duration.ofSeconds(20), "the first confirmation mail", () -> mailsTo(smtp, firstEmail) == 1);
    assertReady(200, "UP");

    List<Crowd> crowd = Crowd.insert(db, issuer, "outage", OUTAGE_BOOKINGS);
    String members = ids(crowd);
    List<String> events = events(10, 60);

    proxy.cut();
    eventually(Duration.ofSeconds(10), "/health to notice the broker is gone",
        () -> api.call("GET", "/health").send().status() == 503);

    List<Api.Res> answers = bookAll(api, crowd, events, WINDOW);
    for (Api.Res res : answers) {
      assertThat(res.status()).as("booking during the broker outage: %s", res).isEqualTo(201);
      assertThat(res.json().getString("status")).isEqualTo("confirmed");
    }
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'memberId' = ANY(string_to_array(?, ','))",
        members)).isEqualTo(OUTAGE_BOOKINGS);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL "
        + "AND payload->>'memberId' = ANY(string_to_array(?, ','))", members))
        .as("the outbox holds every notification of the outage, unpublished").isEqualTo(OUTAGE_BOOKINGS);
    assertReady(503, "DOWN");
    assertThat(mailsTo(smtp, crowd)).as("nothing is mailed while the broker is away").isEmpty();
    assertThat(deliveries(members, null)).as("no delivery starts while the broker is away").isZero();

    long restored = System.nanoTime();
    proxy.forward();
    eventually(RECOVERY, "every booking of the outage mailed",
        () -> mailsTo(smtp, crowd).size() == OUTAGE_BOOKINGS);
    long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored);
    awaitSettled();

    Map<String, Integer> mails = mailsTo(smtp, crowd);
    report("", crowd, mails, recoveryMs);
    assertExactlyOnce(crowd, mails);
    assertThat(mailsTo(smtp, firstEmail)).as("the first member's mail is not sent again").isEqualTo(1);
    assertThat(deliveries(members, "sent")).isEqualTo(OUTAGE_BOOKINGS);
    assertThat(deliveries(members, null)).isEqualTo(OUTAGE_BOOKINGS);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE attempts <> 1 "
        + "AND member_id::text = ANY(string_to_array(?, ','))", members)).as("deliveries sent more than once")
        .isZero();
    assertThat(deadLetters("email")).isZero();
    assertReady(200, "UP");
  }

  @Test
  void cuttingTheBrokerWhileTheRelayPublishesLosesAndDoublesNothing() throws Exception {
    eventually(Duration.ofSeconds(30), "the broker connections up", () ->
        api.call("GET", "/health").send().status() == 200);
    List<Crowd> crowd = Crowd.insert(db, issuer, "midflow", OUTAGE_BOOKINGS);
    String members = ids(crowd);
    List<String> events = events(10, 60);

    // the bookings run in the background; the moment the relay has published part of this flow (so it is
    // publishing, and the worker mailing, while bookings keep coming), the broker goes away
    CompletableFuture<List<Api.Res>> booking = CompletableFuture.supplyAsync(() -> {
      try {
        return bookAll(api, crowd, events, WINDOW);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    String published = "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL "
        + "AND payload->>'memberId' = ANY(string_to_array(?, ','))";
    eventually(Duration.ofSeconds(30), "the relay publishing the flow", () -> db.count(published, members) > 0);
    proxy.cut();
    long publishedAtCut = db.count(published, members);
    long claimedAtCut = deliveries(members, null);
    long sentAtCut = deliveries(members, "sent");

    List<Api.Res> answers = booking.get(60, TimeUnit.SECONDS);
    for (Api.Res res : answers) {
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
    }
    eventually(Duration.ofSeconds(10), "/health to notice the broker is gone",
        () -> api.call("GET", "/health").send().status() == 503);
    assertReady(503, "DOWN");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL "
        + "AND payload->>'memberId' = ANY(string_to_array(?, ','))", members))
        .as("what the relay had not published waits in the outbox").isPositive();

    long restored = System.nanoTime();
    proxy.forward();
    eventually(RECOVERY, "every booking of the flow mailed", () -> mailsTo(smtp, crowd).size() == crowd.size());
    long recoveryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored);
    awaitSettled();

    Map<String, Integer> mails = mailsTo(smtp, crowd);
    report(" (cut mid-flow: " + publishedAtCut + " published, " + claimedAtCut + " deliveries claimed, " + sentAtCut
        + " sent at the cut)", crowd, mails, recoveryMs);
    assertExactlyOnce(crowd, mails);
    assertThat(deliveries(members, null)).isEqualTo(crowd.size());
    assertThat(deliveries(members, "sent")).isEqualTo(crowd.size());
    assertThat(deadLetters("email")).isZero();
    assertReady(200, "UP");
  }

  // ---------------------------------------------------------------- helpers

  /** Waits until the outbox is empty, every delivery row is sent and the e-mail queue is empty. */
  private void awaitSettled() {
    eventually(Duration.ofSeconds(20), "the outbox drained and every delivery settled",
        () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            && db.count("SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
            && queueDepth("email") == 0);
  }

  private static void report(String what, List<Crowd> crowd, Map<String, Integer> mails, long recoveryMs) {
    int emails = mails.values().stream().mapToInt(Integer::intValue).sum();
    long duplicates = mails.values().stream().filter(n -> n > 1).mapToInt(n -> n - 1).sum();
    long missing = crowd.stream().filter(c -> !mails.containsKey(c.email())).count();
    System.out.println("BrokerOutageTest" + what + ": " + crowd.size() + " bookings, " + emails + " emails, duplicates "
        + duplicates + ", missing " + missing + ", recovery " + recoveryMs + " ms");
  }

  /** Delivery rows of these members (with this status, or any when null). */
  private long deliveries(String members, String status) {
    return status == null
        ? db.count("SELECT count(*) FROM notification_deliveries WHERE member_id::text = ANY(string_to_array(?, ','))",
            members)
        : db.count("SELECT count(*) FROM notification_deliveries WHERE member_id::text = ANY(string_to_array(?, ',')) "
            + "AND status = ?", members, status);
  }

  static String ids(List<Crowd> crowd) {
    return String.join(",", crowd.stream().map(Crowd::id).toList());
  }

  private void assertExactlyOnce(List<Crowd> crowd, Map<String, Integer> mails) {
    Map<String, Integer> twice = new HashMap<>();
    mails.forEach((to, n) -> {
      if (n != 1) {
        twice.put(to, n);
      }
    });
    assertThat(twice).as("members mailed more than once").isEmpty();
    assertThat(crowd.stream().map(Crowd::email).filter(e -> !mails.containsKey(e)).toList())
        .as("members never mailed").isEmpty();
    assertThat(mails).hasSize(crowd.size());
    assertThat(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")).as("unpublished outbox rows")
        .isZero();
  }

  /** /health shows the broker's state (relay and worker each); readiness ignores it and stays UP. */
  private void assertReady(int status, String broker) {
    Api.Res health = api.call("GET", "/health").send();
    assertThat(health.status()).as(health.toString()).isEqualTo(status);
    JsonArray checks = health.json().getJsonArray("checks", new JsonArray());
    JsonObject check = checks.stream().map(JsonObject.class::cast).filter(c -> "broker".equals(c.getString("id")))
        .findFirst().orElseThrow(() -> new AssertionError("no broker check in " + health));
    assertThat(check.getString("status")).as("the broker check: " + health).isEqualTo(broker);
    assertThat(check.getJsonObject("data").getMap()).as("the broker by role: " + health)
        .containsEntry("relay", broker).containsEntry("worker", broker);
    Api.Res ready = api.call("GET", "/health/ready").send();
    assertThat(ready.status()).as("readiness, whatever the broker: " + ready).isEqualTo(200);
  }

  private List<String> events(int count, int capacity) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(createEvent(capacity, 0).getString("id"));
    }
    return ids;
  }

  /** A member inserted straight into the database (channels: e-mail), with a token for its subject. */


  /** Books member i on event i mod events, {@code window} requests in flight at a time; answers in member order. */
  static List<Api.Res> bookAll(Api api, List<Crowd> crowd, List<String> events, int window) throws Exception {
    List<Api.Res> results = new ArrayList<>(crowd.size());
    for (int from = 0; from < crowd.size(); from += window) {
      List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
      for (int i = from; i < Math.min(from + window, crowd.size()); i++) {
        calls.add(api.call("POST", "/v1/bookings").token(crowd.get(i).token())
            .json(new JsonObject().put("eventId", events.get(i % events.size()))).sendAsync());
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      for (CompletableFuture<Api.Res> call : calls) {
        results.add(call.get());
      }
    }
    return results;
  }

  /** How many messages GreenMail received per recipient, for the given members only (absent: none). */
  static Map<String, Integer> mailsTo(GreenMail smtp, List<Crowd> crowd) {
    Set<String> wanted = new java.util.HashSet<>();
    crowd.forEach(c -> wanted.add(c.email().toLowerCase(Locale.ROOT)));
    Map<String, Integer> counts = new HashMap<>();
    for (MimeMessage message : smtp.getReceivedMessages()) {
      for (String to : recipients(message)) {
        if (wanted.contains(to)) {
          counts.merge(to, 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  static int mailsTo(GreenMail smtp, String email) {
    int n = 0;
    for (MimeMessage message : smtp.getReceivedMessages()) {
      if (recipients(message).contains(email.toLowerCase(Locale.ROOT))) {
        n++;
      }
    }
    return n;
  }

  private static List<String> recipients(MimeMessage message) {
    try {
      Address[] to = message.getRecipients(Message.RecipientType.TO);
      List<String> out = new ArrayList<>();
      if (to != null) {
        for (Address a : to) {
          out.add(a.toString().toLowerCase(Locale.ROOT));
        }
      }
      return out;
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }


}
