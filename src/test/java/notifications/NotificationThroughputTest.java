package notifications;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End-to-end throughput of the notification pipeline with one relay and one worker (the test settings):
 * 1,000 members book at once (several events, enough seats), and the clock runs from the first request to the
 * moment the SMTP server holds the 1,000th confirmation. The figure is printed for the lead; the assertions are
 * about correctness only (every booking mailed exactly once), not about speed.
 */
class NotificationThroughputTest extends NotificationTestBase {

  private static final int BOOKINGS = 1000;
  private static final int EVENTS = 10;

  @Test
  void thousandConcurrentBookingsAreEachMailedOnce() throws Exception {
    List<Crowd> crowd = Crowd.insert(db, issuer, "throughput", BOOKINGS);
    List<String> events = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      events.add(createEvent(BOOKINGS / EVENTS, 0).getString("id"));
    }
    eventually(Duration.ofSeconds(30), "the broker connections up",
        () -> api.call("GET", "/health").send().status() == 200);
    int mailsBefore = smtp.getReceivedMessages().length;

    long started = System.nanoTime();
    List<CompletableFuture<Api.Res>> calls = new ArrayList<>(BOOKINGS);
    for (int i = 0; i < BOOKINGS; i++) {
      calls.add(api.call("POST", "/v1/bookings").token(crowd.get(i).token())
          .json(new JsonObject().put("eventId", events.get(i % EVENTS))).sendAsync());
    }
    eventually(Duration.ofSeconds(75), "1000 confirmation mails",
        () -> smtp.getReceivedMessages().length - mailsBefore >= BOOKINGS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    for (CompletableFuture<Api.Res> call : calls) {
      Api.Res res = call.get();
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      assertThat(res.json().getString("status")).isEqualTo("confirmed");
    }
    double rate = BOOKINGS * 1000.0 / Math.max(1, millis);
    System.out.println("NotificationThroughputTest: " + BOOKINGS + " bookings -> " + BOOKINGS + " emails in " + millis
        + " ms = " + String.format(java.util.Locale.ROOT, "%.1f", rate) + " emails/s");

    // exactly once: let the pipeline settle, then count by recipient
    eventually(Duration.ofSeconds(20), "every delivery settled",
        () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            && db.count("SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
            && withBroker(ch -> ch.queueDeclarePassive(queue("email")).getMessageCount()) == 0);
    Map<String, Integer> mails = BrokerOutageTest.mailsTo(smtp, crowd);
    assertThat(mails.entrySet().stream().filter(e -> e.getValue() != 1).toList()).as("members mailed more than once")
        .isEmpty();
    assertThat(crowd.stream().map(Crowd::email).filter(e -> !mails.containsKey(e)).toList())
        .as("members never mailed").isEmpty();
    assertThat(smtp.getReceivedMessages().length - mailsBefore).isEqualTo(BOOKINGS);
    // where the time went, on the database's clock, from the first booking's commit
    String ids = BrokerOutageTest.ids(crowd);
    String since = "(EXTRACT(EPOCH FROM %s - (SELECT min(created_at) FROM bookings WHERE member_id::text = "
        + "ANY(string_to_array(?, ',')))) * 1000)::bigint";
    System.out.println("NotificationThroughputTest: last booking committed at +"
        + db.count("SELECT " + since.formatted("(SELECT max(created_at) FROM bookings WHERE member_id::text = "
            + "ANY(string_to_array(?, ',')))"), ids, ids)
        + " ms, last outbox row published at +"
        + db.count("SELECT " + since.formatted("(SELECT max(published_at) FROM outbox WHERE payload->>'memberId' = "
            + "ANY(string_to_array(?, ',')))"), ids, ids)
        + " ms, first delivery sent at +"
        + db.count("SELECT " + since.formatted("(SELECT min(sent_at) FROM notification_deliveries WHERE member_id::text = "
            + "ANY(string_to_array(?, ',')))"), ids, ids)
        + " ms, last delivery sent at +"
        + db.count("SELECT " + since.formatted("(SELECT max(sent_at) FROM notification_deliveries WHERE member_id::text = "
            + "ANY(string_to_array(?, ',')))"), ids, ids) + " ms");
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id::text = "
        + "ANY(string_to_array(?, ',')) AND status = 'sent'", BrokerOutageTest.ids(crowd))).isEqualTo(BOOKINGS);
  }
}
