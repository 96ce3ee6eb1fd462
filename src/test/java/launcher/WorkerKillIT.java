package launcher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * A worker process killed with SIGKILL in the middle of sending, then a new worker process. The SMS provider
 * stand-in answers the first messages, then holds its answers, so sends are in flight at the provider (as many as
 * the worker's HTTP connections; the rest of its prefetch waits behind them) when the kill lands. The new process
 * must deliver every notification; the only duplicates allowed are the sends in flight at the kill (the provider
 * got the request but the worker never recorded it as sent: the at-least-once window, re-sent once their lease
 * has expired), counted at the provider.
 */
class WorkerKillIT {

  private static final int NOTIFICATIONS = 300;
  private static final int PREFETCH = 16;
  private static final int SEND_TIMEOUT_MS = 6000;

  private SmsNodes nodes;

  @AfterEach
  void cleanUp() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  void aWorkerKilledMidSendLosesNothingAndResendsOnlyWhatWasInFlight() throws Exception {
    nodes = new SmsNodes("WorkerKillIT");
    JarProcess first = startWorker();
    List<String> phones = SmsBacklog.insert(nodes.db, NOTIFICATIONS);

    eventually(Duration.ofSeconds(60), "a third of the SMS answered",
        () -> nodes.provider.received().size() >= NOTIFICATIONS / 3);
    int answered = nodes.provider.received().size();
    nodes.provider.holdAll();
    eventually(Duration.ofSeconds(SEND_TIMEOUT_MS / 2000), "sends in flight at the provider",
        () -> nodes.provider.held() > 0);
    Thread.sleep(1000); // well inside the send timeout: the held sends are still in flight at the kill
    int inFlight = nodes.provider.held();
    List<String> received = nodes.provider.received();
    Set<String> inFlightPhones = new HashSet<>(received.subList(answered, received.size()));
    long sentAtKill = nodes.sent();
    first.signal("KILL");
    long killed = System.nanoTime();
    first.awaitExit(Duration.ofSeconds(10));
    nodes.provider.release(); // the held answers go to a dead process

    startWorker();
    eventually(Duration.ofSeconds(75), "every notification at the provider and recorded as sent",
        () -> SmsBacklog.Tally.of(phones, nodes.provider.perRecipient()).lost().isEmpty()
            && nodes.sent() == NOTIFICATIONS);
    long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    eventually(Duration.ofSeconds(20), "the SMS queue empty", () -> nodes.queueDepth("") == 0);

    SmsBacklog.Tally tally = SmsBacklog.Tally.of(phones, nodes.provider.perRecipient());
    System.out.println("WorkerKillIT: " + NOTIFICATIONS + " notifications; at the kill " + sentAtKill + " recorded sent, "
        + inFlight + " sends in flight (held by the provider); after it: " + tally.messages() + " SMS at the provider, "
        + "sent " + nodes.sent() + ", duplicates " + tally.duplicates() + ", lost " + tally.lost().size()
        + ", time to drain " + drainedMs + " ms from the kill (the in-flight leases last " + (SEND_TIMEOUT_MS + 10_000)
        + " ms)");
    assertThat(tally.lost()).as("notifications never sent").isEmpty();
    assertThat(tally.duplicates()).as("duplicates: at most the sends in flight at the kill").isLessThanOrEqualTo(inFlight);
    assertThat(tally.duplicated()).as("only sends that were in flight at the kill went out twice")
        .isSubsetOf(inFlightPhones);
    assertThat(nodes.db.count("SELECT count(*) FROM notification_deliveries")).as("one delivery row per notification")
        .isEqualTo(NOTIFICATIONS);
    assertThat(nodes.queueDepth(".dlq")).as("dead letters").isZero();
  }

  private JarProcess startWorker() throws Exception {
    return nodes.start(nodes.node().set("ROSTER_AMQP_PREFETCH", PREFETCH)
        .set("ROSTER_NOTIFY_SEND_TIMEOUT_MS", SEND_TIMEOUT_MS), "roster-worker");
  }
}
