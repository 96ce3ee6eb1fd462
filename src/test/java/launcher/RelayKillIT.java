package launcher;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.NotificationTestBase;
import support.TcpProxy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * A relay process killed with SIGKILL while it publishes a large outbox backlog, then a new process with a relay
 * and workers. The relay reaches RabbitMQ through a TCP proxy; once part of the backlog is through, the proxy holds
 * back what the broker answers, so the relay's next messages reach the queue but their confirms never reach the
 * relay, and the kill lands in the relay's at-least-once window: messages in the queue whose outbox rows are not
 * recorded as published. The new relay publishes them again, and the worker's claim (one delivery per
 * notification and channel) must absorb those copies. Counted at the SMS provider: nothing lost, no member texted
 * twice, no dead letter, nothing left in the outbox or the queue.
 */
class RelayKillIT {

  private static final int NOTIFICATIONS = 2000;
  private static final int BATCH = 500;

  private SmsNodes nodes;
  private TcpProxy broker;

  @AfterEach
  void cleanUp() {
    if (nodes != null) {
      nodes.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aRelayKilledMidPublishLosesNothingAndNoMemberIsTextedTwice() throws Exception {
    nodes = new SmsNodes("RelayKillIT");
    URI amqp = URI.create(NotificationTestBase.AMQP_URL);
    broker = new TcpProxy(amqp.getHost(), amqp.getPort() == -1 ? 5672 : amqp.getPort());
    // the relay alone: what it publishes waits in the queue, so the queue shows how far it got
    JarProcess relay = nodes.start(nodes.node().set("ROSTER_WORKER_INSTANCES", 0).set("ROSTER_NOTIFY_RELAY_BATCH", BATCH)
        .set("ROSTER_AMQP_URL", broker.url(NotificationTestBase.AMQP_URL)), "roster-relay");
    List<String> phones = SmsBacklog.insert(nodes.db, NOTIFICATIONS);

    eventually(Duration.ofSeconds(60), "the relay publishing the backlog",
        () -> nodes.queueDepth("") >= NOTIFICATIONS / 10);
    broker.holdReplies();
    long[] depth = {nodes.queueDepth(""), -1};
    // the relay goes on publishing its batch and waits for confirms that do not come (up to 10 s): the queue
    // stops growing with messages whose rows are not recorded
    eventually(Duration.ofSeconds(8), "messages published and awaiting their confirms", () -> {
      depth[1] = depth[0];
      sleep(300);
      depth[0] = nodes.queueDepth("");
      return depth[0] == depth[1] && depth[0] > recorded();
    });
    relay.signal("KILL");
    long killed = System.nanoTime();
    relay.awaitExit(Duration.ofSeconds(10));
    long inQueue = nodes.queueDepth("");
    long recorded = recorded();
    assertThat(inQueue).as("killed while publishing: part of the backlog in the queue").isLessThan(NOTIFICATIONS);
    assertThat(inQueue).as("killed with messages published and their rows not recorded").isGreaterThan(recorded);

    nodes.start(nodes.node().set("ROSTER_WORKER_INSTANCES", 2), "roster-worker");
    eventually(Duration.ofSeconds(75), "every notification at the provider and recorded as sent",
        () -> SmsBacklog.Tally.of(phones, nodes.provider.perRecipient()).lost().isEmpty()
            && nodes.sent() == NOTIFICATIONS);
    long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    // the dead relay's rows stay claimed until their lease ends (OutboxRelay.CLAIM_LEASE_MS, counted from the
    // claim): then the new relay publishes them again, and the workers acknowledge the copies without sending
    eventually(Duration.ofMillis(notifications.OutboxRelay.CLAIM_LEASE_MS + 30_000), "the outbox published and the queue empty",
        () -> nodes.db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            && nodes.queueDepth("") == 0);
    Thread.sleep(1000); // a doubled message would need a moment to reach the provider: give it one

    SmsBacklog.Tally tally = SmsBacklog.Tally.of(phones, nodes.provider.perRecipient());
    System.out.println("RelayKillIT: " + NOTIFICATIONS + " notifications in the outbox; at the kill " + inQueue
        + " messages in the queue, " + recorded + " rows recorded as published (" + (inQueue - recorded)
        + " messages the next relay publishes again); after it: " + tally.messages() + " SMS at the provider, sent "
        + nodes.sent() + ", duplicates " + tally.duplicates() + ", lost " + tally.lost().size() + ", time to drain "
        + drainedMs + " ms from the kill");
    assertThat(tally.lost()).as("notifications never sent").isEmpty();
    assertThat(tally.duplicated()).as("members texted more than once").isEmpty();
    assertThat(nodes.db.count("SELECT count(*) FROM notification_deliveries")).as("one delivery row per notification")
        .isEqualTo(NOTIFICATIONS);
    assertThat(nodes.queueDepth(".dlq")).as("dead letters").isZero();
  }

  /** Outbox rows recorded as published. */
  private long recorded() {
    return nodes.db.count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
