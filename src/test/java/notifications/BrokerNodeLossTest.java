package notifications;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.LogCapture;
import support.NotificationTestBase;
import support.TcpProxy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A RabbitMQ node is lost while notifications flow. Two TCP proxies in front of the local RabbitMQ stand for two
 * nodes of a cluster, and ROSTER_AMQP_URL lists both. Node B is down when the service starts, so the relay, the
 * notification worker and the task worker all connect through node A (the first answering node of the list);
 * B comes back; then, while bookings are being written, relayed and mailed, node A is cut (its connections
 * dropped, new ones refused). Every connection must come back through B, and every booking must be mailed
 * exactly once (counted at the SMTP server), none dead-lettered, none left in the outbox or a queue.
 *
 * <p>Both proxies reach the same queues, as the nodes of a cluster serve the same quorum queues; what this
 * checks is the client side: the address list, reconnecting to whichever node answers, and at-least-once
 * publishing and consuming across the switch without a lost or doubled notification.
 */
class BrokerNodeLossTest extends NotificationTestBase {

  private static final int BOOKINGS = 400;
  private static final int WINDOW = 50;
  private static final List<String> ROLES = List.of("roster-relay", "roster-worker", "roster-tasks", "roster-webhooks");

  private final LogCapture logs = LogCapture.start();
  private TcpProxy nodeA;
  private TcpProxy nodeB;

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    URI broker = URI.create(AMQP_URL);
    int port = broker.getPort() == -1 ? 5672 : broker.getPort();
    nodeA = new TcpProxy(broker.getHost(), port);
    nodeB = new TcpProxy(broker.getHost(), port);
    nodeB.cut();
    env.put("ROSTER_AMQP_URL", nodeB.url(AMQP_URL) + "," + nodeA.url(AMQP_URL));
    return env;
  }

  @AfterAll
  void closeProxies() {
    for (TcpProxy proxy : new TcpProxy[] {nodeA, nodeB}) {
      if (proxy != null) {
        proxy.close();
      }
    }
    logs.close();
  }

  @Test
  void losingTheNodeTheConnectionsUseMovesThemToTheOtherAndMailsEveryBookingOnce() throws Exception {
    // started with B down: every role reached A, the node of the list that answered
    eventually(Duration.ofSeconds(30), "relay, worker, tasks and webhooks connected through node A",
        () -> ROLES.stream().allMatch(role -> nodeA.port() == connectedPort(role)));
    assertThat(nodeA.connectionsOpen()).as("connections through node A").isEqualTo(ROLES.size());
    nodeB.forward();

    List<Crowd> crowd = Crowd.insert(db, issuer, "nodeloss", BOOKINGS);
    String members = BrokerOutageTest.ids(crowd);
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      events.add(createEvent(60, 0).getString("id"));
    }
    CompletableFuture<List<Api.Res>> booking = CompletableFuture.supplyAsync(() -> {
      try {
        return BrokerOutageTest.bookAll(api, crowd, events, WINDOW);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    String sentSql = "SELECT count(*) FROM notification_deliveries WHERE status = 'sent' "
        + "AND member_id::text = ANY(string_to_array(?, ','))";
    // the flow runs (published, mailed) while bookings keep coming: then node A goes away
    eventually(Duration.ofSeconds(30), "a tenth of the flow mailed", () -> db.count(sentSql, members) >= BOOKINGS / 10);
    long sentAtCut = db.count(sentSql, members);
    long cut = System.nanoTime();
    nodeA.cut();

    eventually(Duration.ofSeconds(30), "relay, worker and tasks connected again, through node B",
        () -> ROLES.stream().allMatch(role -> nodeB.port() == connectedPort(role)));
    long reconnectedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
    assertThat(nodeB.connectionsOpen()).as("connections through node B").isEqualTo(ROLES.size());

    for (Api.Res res : booking.get(60, TimeUnit.SECONDS)) {
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
    }
    eventually(Duration.ofSeconds(60), "every booking mailed",
        () -> BrokerOutageTest.mailsTo(smtp, crowd).size() == BOOKINGS);
    long drainedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
    eventually(Duration.ofSeconds(20), "the outbox empty, every delivery sent, the e-mail queue empty",
        () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            && db.count("SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") == 0
            && queueDepth("email") == 0);
    Thread.sleep(1500); // a doubled message would need a moment to reach the SMTP server: give it one

    Map<String, Integer> mails = BrokerOutageTest.mailsTo(smtp, crowd);
    int emails = mails.values().stream().mapToInt(Integer::intValue).sum();
    long duplicates = mails.values().stream().mapToInt(n -> n - 1).sum();
    long lost = crowd.stream().filter(c -> !mails.containsKey(c.email())).count();
    System.out.println("BrokerNodeLossTest: " + BOOKINGS + " bookings, " + sentAtCut + " mailed when node A was cut; "
        + emails + " emails, duplicates " + duplicates + ", lost " + lost + "; relay, worker and tasks reconnected "
        + "through node B " + reconnectedMs + " ms after the cut, every booking mailed " + drainedMs + " ms after it");
    assertThat(lost).as("bookings never mailed").isZero();
    assertThat(duplicates).as("bookings mailed more than once").isZero();
    assertThat(db.count(sentSql, members)).isEqualTo(BOOKINGS);
    assertThat(db.count("SELECT count(*) FROM notification_deliveries WHERE member_id::text = "
        + "ANY(string_to_array(?, ','))", members)).as("one delivery row per booking").isEqualTo(BOOKINGS);
    assertThat(deadLetters("email")).as("dead letters").isZero();
    assertThat(api.call("GET", "/health").send().status()).as("/health with node A still down").isEqualTo(200);
  }

  /** The port of the node a role's connection reached last, from the log line BrokerConnection writes; -1: none. */
  private int connectedPort(String role) {
    List<String> lines = logs.lines();
    String prefix = role + ": connected to the broker at ";
    for (int i = lines.size() - 1; i >= 0; i--) {
      int at = lines.get(i).indexOf(prefix);
      if (at >= 0) {
        String where = lines.get(i).substring(at + prefix.length()).trim();
        return Integer.parseInt(where.substring(where.lastIndexOf(':') + 1));
      }
    }
    return -1;
  }
}
