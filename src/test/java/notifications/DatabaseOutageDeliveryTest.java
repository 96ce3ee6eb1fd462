package notifications;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;
import support.PrivatePostgres;
import support.ProviderRecorder;
import support.TestDatabase;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL stops while 300 SMS notifications are being delivered, and comes back {@link #OUTAGE} later. The
 * workers stop consuming and wait for the database with backoff (no message spins through the queues or is
 * dead-lettered meanwhile, and the provider gets nothing more once the sends in flight are answered); the
 * sends in flight at the stop are recorded once the database is back, never sent again. In the end every
 * notification reached the provider exactly once, none is in a dead-letter or parked queue, and every delivery row
 * is {@code sent}.
 *
 * <p>The service runs against a PostgreSQL of this test's own ({@link PrivatePostgres}: initdb and pg_ctl in a
 * temporary directory; as root, run as the postgres user), so stopping it touches nobody else. The SMS provider
 * answers after {@link #PROVIDER_LATENCY_MS}, so deliveries are in flight when the database stops.
 */
class DatabaseOutageDeliveryTest extends NotificationTestBase {

  private static final int NOTIFICATIONS = 300;
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final long PROVIDER_LATENCY_MS = 150;
  /** The database stops once this many deliveries are sent: mid-flow. */
  private static final int SENT_BEFORE_STOP = 40;

  private PrivatePostgres postgres;

  @Override
  protected TestDatabase createDatabase() {
    Assumptions.assumeTrue(PrivatePostgres.available(), "PostgreSQL server binaries under /usr/lib/postgresql");
    postgres = PrivatePostgres.start();
    return TestDatabase.create(postgres.adminUrl(), "pgdown");
  }

  /**
   * A send that times out is retried (the provider may have taken it: the documented at-least-once window), so on
   * a machine too busy to answer within the suite's 5 s a notification could reach the provider twice for a reason
   * other than the outage. This test is about the outage: its sends get 15 s.
   */
  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_NOTIFY_SEND_TIMEOUT_MS", "15000");
    return env;
  }

  @Override
  protected void afterDatabase() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void everyNotificationIsDeliveredOnceAcrossADatabaseOutage() throws Exception {
    eventually(Duration.ofSeconds(30), "the broker connections up", () -> api.call("GET", "/health").send().status() == 200);
    List<Crowd> crowd = Crowd.insert(db, issuer, "pgdown", NOTIFICATIONS);
    String members = BrokerOutageTest.ids(crowd);
    db.update("UPDATE members m SET channels = ARRAY['sms'], phone = '+1555' || (7000000 + s.n) "
        + "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM members WHERE id::text = "
        + "ANY(string_to_array(?, ','))) s WHERE m.id = s.id", members);
    List<String> phones = db.strings("SELECT phone FROM members WHERE id::text = ANY(string_to_array(?, ','))", members);
    assertThat(phones).hasSize(NOTIFICATIONS).doesNotHaveDuplicates();
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      events.add(createEvent(NOTIFICATIONS / 10, 0).getString("id"));
    }
    sms.latency(PROVIDER_LATENCY_MS);

    long sentAtStop;
    long requestsAtStop;
    try {
      List<Api.Res> answers = BrokerOutageTest.bookAll(api, crowd, events, 50);
      answers.forEach(res -> assertThat(res.status()).as(res.toString()).isEqualTo(201));
      eventually(Duration.ofSeconds(60), SENT_BEFORE_STOP + " deliveries sent", () -> sent(members) >= SENT_BEFORE_STOP);
      sentAtStop = sent(members);
      postgres.stop();
      requestsAtStop = sms.requests().size();
      assertThat(sentAtStop).as("deliveries sent before the stop: the stop is mid-flow").isLessThan(NOTIFICATIONS);

      // the sends in flight are answered within a moment; after that the workers wait, and the provider hears nothing
      Thread.sleep(5000);
      long requestsEarlyInOutage = sms.requests().size();
      Thread.sleep(OUTAGE.toMillis() - 5000);
      assertThat(sms.requests()).as("provider requests while the database is down, after the sends in flight")
          .hasSize((int) requestsEarlyInOutage);
      assertThat(messageCount(deadLetterQueue("sms")) + messageCount(parkedQueue("sms"))).as("dead-lettered or parked").isZero();
      System.out.println("DatabaseOutageDeliveryTest: database stopped with " + sentAtStop + " sent, "
          + requestsAtStop + " provider requests; " + (requestsEarlyInOutage - requestsAtStop)
          + " sends in flight were answered during the outage");
    } finally {
      postgres.startAgain();
    }

    long restarted = System.nanoTime();
    awaitAllSent(members, Duration.ofSeconds(120));
    long drainMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
    eventually(Duration.ofSeconds(20), "the outbox and the SMS queue empty",
        () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0 && messageCount(queue("sms")) == 0);
    Thread.sleep(2000); // a second send of anything would reach the provider by now

    Map<String, Integer> perPhone = new HashMap<>();
    for (ProviderRecorder.Request r : sms.requests()) {
      perPhone.merge(r.form("To"), 1, Integer::sum);
    }
    long delivered = phones.stream().filter(perPhone::containsKey).count();
    long duplicates = perPhone.values().stream().mapToInt(n -> n - 1).sum();
    long lost = NOTIFICATIONS - delivered;
    System.out.println("DatabaseOutageDeliveryTest: " + NOTIFICATIONS + " notifications, outage " + OUTAGE.toSeconds()
        + " s: sent " + delivered + ", duplicates " + duplicates + ", lost " + lost + ", drained " + drainMs
        + " ms after the restart");

    List<String> doubled = perPhone.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    if (!doubled.isEmpty()) { // what the rows say of them: a timed-out send is retried, and may so be sent twice
      System.out.println("DatabaseOutageDeliveryTest: sent twice: " + db.strings("SELECT d.status || ' attempts='"
          + " || d.attempts || ' last_error=' || coalesce(d.last_error, '-') FROM notification_deliveries d JOIN members m"
          + " ON m.id = d.member_id WHERE m.phone = ANY(string_to_array(?, ','))", String.join(",", doubled)));
    }
    assertThat(lost).as("notifications the provider never got").isZero();
    assertThat(duplicates).as("notifications the provider got more than once").isZero();
    assertThat(perPhone.keySet()).containsExactlyInAnyOrderElementsOf(phones);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'"))
        .as("deliveries not sent").isZero();
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE attempts <> 1")).as("sent more than once")
        .isZero();
    assertThat(messageCount(deadLetterQueue("sms")) + messageCount(parkedQueue("sms"))).as("dead-lettered or parked").isZero();
  }

  /** Waits for every delivery to be sent, printing where they are every 10 s, and a thread dump if they never are. */
  private void awaitAllSent(String members, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long nextReport = System.nanoTime();
    while (sent(members) < NOTIFICATIONS) {
      if (System.nanoTime() > nextReport) {
        System.out.println("DatabaseOutageDeliveryTest: " + state());
        nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      }
      if (System.nanoTime() > deadline) {
        StringBuilder dump = new StringBuilder();
        for (var info : java.lang.management.ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
          if (info.getThreadName().startsWith("vert.x") || info.getThreadName().startsWith("roster")) {
            dump.append(info);
          }
        }
        System.out.println("DatabaseOutageDeliveryTest: threads\n" + dump);
        throw new AssertionError("not within " + timeout + ": every delivery sent; " + state());
      }
      Thread.sleep(200);
    }
  }

  /** Deliveries by status, the unpublished outbox, and the SMS queues' ready messages and consumers. */
  private String state() {
    StringBuilder out = new StringBuilder();
    out.append("deliveries ").append(db.strings("SELECT status || '=' || count(*) FROM notification_deliveries "
        + "GROUP BY status ORDER BY status"));
    out.append(", outbox unpublished ").append(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL"));
    out.append(", outbox claimed ").append(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL "
        + "AND claimed_until > now()"));
    List<String> queues = new ArrayList<>(List.of(queue("sms"), deadLetterQueue("sms"), parkedQueue("sms")));
    for (long delay : List.of(300L, 600L, 1200L)) {
      queues.add(queue("sms") + ".retry." + delay);
    }
    for (String q : queues) {
      out.append(", ").append(q.substring(q.indexOf(".notifications.") + 15)).append(' ');
      try {
        String depth = withBroker(ch -> {
          var ok = ch.queueDeclarePassive(q);
          return ok.getMessageCount() + " ready/" + ok.getConsumerCount() + " consumers";
        });
        out.append(depth);
      } catch (RuntimeException e) {
        out.append("? (").append(e.getMessage()).append(')');
      }
    }
    return out.toString();
  }

  private long sent(String members) {
    return db.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent' "
        + "AND member_id::text = ANY(string_to_array(?, ','))", members);
  }
}
