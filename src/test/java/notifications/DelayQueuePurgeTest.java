package notifications;

import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;
import support.ProviderRecorder;
import support.ProviderRecorder.Answer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Messages lost by the broker are delivered anyway: 50 SMS deliveries fail once (the provider answers 503) and wait
 * in a delay queue; ops purge that queue by hand, so their messages are gone; the provider then answers 200. The
 * database knew when each delivery was due again, so the scheduler leader's sweeper (grace and interval short here)
 * queues each again through the outbox, and every member gets exactly one SMS that went through. On the way, the
 * retries' delays are jittered: each between 80 and 100 % of the tier's.
 */
class DelayQueuePurgeTest extends NotificationTestBase {

  private static final int DELIVERIES = 50;
  /** One delay tier, long enough to purge the queue while it holds every retry (a default tier: cleaned up). */
  private static final long DELAY_MS = 10_000;

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_NOTIFY_RETRY_DELAYS_MS", String.valueOf(DELAY_MS));
    env.put("ROSTER_SWEEPER_GRACE_MS", "1000");
    env.put("ROSTER_SWEEPER_INTERVAL_MS", "500");
    return env;
  }

  @Test
  void deliveriesWhoseRetriesWerePurgedAreSweptAndSentOnceEach() throws Exception {
    eventually(Duration.ofSeconds(30), "the broker connections up", () -> api.call("GET", "/health").send().status() == 200);
    List<Crowd> crowd = Crowd.insert(db, issuer, "purge", DELIVERIES);
    Map<String, String> phones = new HashMap<>();
    for (int i = 0; i < crowd.size(); i++) {
      String phone = "+1555" + (7_000_000 + i);
      phones.put(crowd.get(i).id(), phone);
      db.update("UPDATE members SET channels = ARRAY['sms'], phone = ? WHERE id = ?::uuid", phone, crowd.get(i).id());
    }
    String members = BrokerOutageTest.ids(crowd);
    for (int i = 0; i < DELIVERIES; i++) {
      sms.script(Answer.of(503));
    }

    List<Api.Res> answers = BrokerOutageTest.bookAll(api, crowd, List.of(createEvent(DELIVERIES, 0).getString("id")),
        10);
    answers.forEach(res -> assertThat(res.status()).as(res.toString()).isEqualTo(201));
    String retryQueue = queue("sms") + ".retry." + DELAY_MS;
    eventually(Duration.ofSeconds(20), "every delivery failed once and waits in the delay queue",
        () -> db.count("SELECT count(*) FROM notification_deliveries WHERE status = 'pending' AND attempts = 1 "
            + "AND member_id::text = ANY(string_to_array(?, ','))", members) == DELIVERIES
            && messageCount(retryQueue) == DELIVERIES);
    assertThat(sms.requests()).as("first tries, all answered 503").hasSize(DELIVERIES);
    // each retry copy expires a random 0-20 % before the tier's TTL; the row records the delay its copy was given
    String delays = "SELECT %s(extract(epoch FROM next_attempt_at - updated_at) * 1000)::bigint "
        + "FROM notification_deliveries WHERE member_id::text = ANY(string_to_array(?, ','))";
    long shortest = db.count(delays.formatted("min"), members);
    long longest = db.count(delays.formatted("max"), members);
    assertThat(shortest).as("shortest retry delay").isGreaterThanOrEqualTo(DELAY_MS * 8 / 10);
    assertThat(longest).as("longest retry delay").isLessThanOrEqualTo(DELAY_MS);
    assertThat(longest - shortest).as("spread of the retry delays (jitter)").isGreaterThan(DELAY_MS / 20);

    int purged = withBroker(ch -> ch.queuePurge(retryQueue).getMessageCount());
    assertThat(purged).as("retries purged from the delay queue").isEqualTo(DELIVERIES);
    long purgedAt = System.nanoTime();

    eventually(Duration.ofSeconds(60), "every purged delivery sent",
        () -> db.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent' "
            + "AND member_id::text = ANY(string_to_array(?, ','))", members) == DELIVERIES);
    System.out.println("DelayQueuePurgeTest: " + DELIVERIES + " purged retries sent "
        + Duration.ofNanos(System.nanoTime() - purgedAt).toMillis() + " ms after the purge (delay " + DELAY_MS
        + " ms, grace 1000 ms)");

    Map<String, Integer> perPhone = new HashMap<>();
    for (ProviderRecorder.Request r : sms.requests()) {
      perPhone.merge(r.form("To"), 1, Integer::sum);
    }
    Thread.sleep(2000); // a second copy, were one sent, would reach the provider by now
    assertThat(sms.requests()).as("requests: one 503 and one 200 per member").hasSize(2 * DELIVERIES);
    phones.values().forEach(phone -> assertThat(perPhone.get(phone)).as("requests for " + phone).isEqualTo(2));
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE attempts <> 2 "
        + "AND member_id::text = ANY(string_to_array(?, ','))", members)).as("deliveries not tried exactly twice")
        .isZero();
    assertThat(messageCount(deadLetterQueue("sms")) + messageCount(parkedQueue("sms")) + messageCount(queue("sms")) + messageCount(retryQueue))
        .as("messages left in the SMS queues").isZero();
    assertThat(sweptBySms()).as("roster_notification_sweeper_republished_total{channel=sms}")
        .isGreaterThanOrEqualTo(DELIVERIES);
  }

  private double sweptBySms() {
    Api.Res metrics = api.call("GET", "/metrics").send();
    assertThat(metrics.status()).isEqualTo(200);
    Matcher m = Pattern.compile("(?m)^roster_notification_sweeper_republished_total\\{[^}]*channel=\"sms\"[^}]*\\} (\\S+)$")
        .matcher(metrics.raw().body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
