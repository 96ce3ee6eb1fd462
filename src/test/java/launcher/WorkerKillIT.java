package launcher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.HoldingSmsProvider;
import support.NotificationTestBase;
import support.TestDatabase;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * A worker process killed with SIGKILL in the middle of sending, then a new worker process. The SMS provider
 * stand-in answers the first messages, then holds its answers, so sends are in flight at the provider (as many as
 * the worker's HTTP connections; the rest of its prefetch waits behind them) when the kill lands. The new process must deliver every notification; the only duplicates allowed are
 * the sends in flight at the kill (the provider got the request but the worker never recorded it as sent: the
 * at-least-once window, re-sent once their lease has expired), counted at the provider.
 */
class WorkerKillIT {

  private static final int NOTIFICATIONS = 300;
  private static final int PREFETCH = 16;
  private static final int SEND_TIMEOUT_MS = 6000;

  private final String namespace = "wkill-" + UUID.randomUUID().toString().substring(0, 8);
  private TestDatabase db;
  private HoldingSmsProvider provider;
  private JarProcess first;
  private JarProcess second;

  @AfterEach
  void cleanUp() {
    for (JarProcess process : new JarProcess[] {first, second}) {
      if (process != null) {
        process.closeShowingLast(15, "WorkerKillIT: a worker's last lines:");
      }
    }
    if (provider != null) {
      provider.close();
    }
    if (db != null) {
      db.drop();
    }
    NotificationTestBase.deleteTopology(namespace);
  }

  @Test
  void aWorkerKilledMidSendLosesNothingAndResendsOnlyWhatWasInFlight() throws Exception {
    db = TestDatabase.create("workerkill");
    provider = new HoldingSmsProvider();
    first = startWorker();
    List<String> phones = SmsBacklog.insert(db, NOTIFICATIONS);

    eventually(Duration.ofSeconds(60), "a third of the SMS answered", () -> provider.received().size() >= NOTIFICATIONS / 3);
    int answered = provider.received().size();
    provider.holdAll();
    // the worker holds up to PREFETCH messages; as many sends as its HTTP client's connections reach the provider
    eventually(Duration.ofSeconds(SEND_TIMEOUT_MS / 2000), "sends in flight at the provider", () -> provider.held() > 0);
    Thread.sleep(1000); // well inside the send timeout: the held sends are still in flight at the kill
    int inFlight = provider.held();
    Set<String> inFlightPhones = new HashSet<>(provider.received().subList(answered, provider.received().size()));
    long sentAtKill = sent();
    first.signal("KILL");
    long killed = System.nanoTime();
    first.awaitExit(Duration.ofSeconds(10));
    provider.release(); // the held answers go to a dead process

    second = startWorker();
    eventually(Duration.ofSeconds(75), "every notification at the provider and recorded as sent",
        () -> SmsBacklog.Tally.of(phones, provider.perRecipient()).lost().isEmpty() && sent() == NOTIFICATIONS);
    long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    eventually(Duration.ofSeconds(20), "the SMS queue empty", () -> queueDepth("") == 0);

    SmsBacklog.Tally tally = SmsBacklog.Tally.of(phones, provider.perRecipient());
    System.out.println("WorkerKillIT: " + NOTIFICATIONS + " notifications; at the kill " + sentAtKill + " recorded sent, "
        + inFlight + " sends in flight (held by the provider); after it: " + tally.messages() + " SMS at the provider, "
        + "sent " + sent() + ", duplicates " + tally.duplicates() + ", lost " + tally.lost().size() + ", time to drain "
        + drainedMs + " ms from the kill (the in-flight leases last " + (SEND_TIMEOUT_MS + 10_000) + " ms)");
    assertThat(tally.lost()).as("notifications never sent").isEmpty();
    assertThat(tally.duplicates()).as("duplicates: at most the sends in flight at the kill").isLessThanOrEqualTo(inFlight);
    assertThat(tally.duplicated()).as("only sends that were in flight at the kill went out twice")
        .isSubsetOf(inFlightPhones);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries")).as("one delivery row per notification")
        .isEqualTo(NOTIFICATIONS);
    assertThat(queueDepth(".dlq")).as("dead letters").isZero();
  }

  private JarProcess startWorker() throws Exception {
    JarProcess process = JarProcess.start(NodeEnvironment.database(db.url()).broker(namespace)
        .smsProvider(provider.url()).set("ROSTER_HTTP_INSTANCES", 0).set("ROSTER_SCHEDULER_ENABLED", false)
        .set("ROSTER_AMQP_PREFETCH", PREFETCH).set("ROSTER_NOTIFY_SEND_TIMEOUT_MS", SEND_TIMEOUT_MS)
        // the suite's retry delays, so NotificationTestBase.deleteTopology finds every queue
        .set("ROSTER_NOTIFY_RETRY_DELAYS_MS", "300,600,1200").set("ROSTER_SHUTDOWN_DELAY_MS", 0)
        .set("JAVA_TOOL_OPTIONS", "-Xmx256m -XX:+UseSerialGC").map(), "start");
    process.awaitLine(l -> l.contains("roster-worker: connected to the broker"), Duration.ofSeconds(90));
    return process;
  }

  private long sent() {
    return db.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent'");
  }

  private long queueDepth(String suffix) {
    return NotificationTestBase.withBroker(ch -> ch.queueDeclarePassive(namespace + ".notifications.sms" + suffix)
        .getMessageCount());
  }
}
