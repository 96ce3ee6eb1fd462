package notifications;

import com.rabbitmq.client.GetResponse;
import io.vertx.core.Context;
import notifications.NotificationRepository.OutboxRow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.DirectDatabaseTestBase;
import support.LogCapture;
import support.NotificationTestBase;
import support.TcpProxy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * The outbox relay claims rows with a lease instead of holding a transaction across the publish: rows one relay
 * claimed are skipped by another until the lease ends, and a publish that is not confirmed in time (the broker
 * stalls) leaves the rows unpublished, released for the next try, which publishes them once the broker answers.
 */
class OutboxLeaseTest extends DirectDatabaseTestBase {

  private final String namespace = "test-" + UUID.randomUUID().toString().substring(0, 8);
  private final NotificationRepository repository = new NotificationRepository();
  private Context context;
  private TcpProxy proxy;
  private BrokerConnection broker;

  @BeforeAll
  void takeContext() {
    context = app.vertx().getOrCreateContext();
  }

  @AfterAll
  void cleanUp() throws Exception {
    if (broker != null) {
      onContext(() -> broker.close()).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    NotificationTestBase.deleteTopology(namespace);
  }

  @BeforeEach
  void emptyOutbox() {
    db.update("DELETE FROM outbox");
  }

  @Test
  void rowsClaimedByOneRelayAreSkippedByAnotherUntilTheLeaseEnds() throws Exception {
    Set<String> runs = insertTaskRows(5);
    List<OutboxRow> first = await(repository.claimUnpublished(pool, 100, 1500));
    assertThat(runIds(first)).isEqualTo(runs);

    List<OutboxRow> second = await(repository.claimUnpublished(pool, 100, 1500));
    assertThat(second).as("another relay, while the lease lasts").isEmpty();
    Set<String> more = insertTaskRows(2);
    assertThat(runIds(await(repository.claimUnpublished(pool, 100, 1500))))
        .as("rows nobody claimed are still claimable").isEqualTo(more);

    List<OutboxRow> again = new ArrayList<>();
    eventually(Duration.ofSeconds(10), "the first lease to end", () -> {
      again.addAll(await(repository.claimUnpublished(pool, 100, 60_000)));
      return !again.isEmpty();
    });
    assertThat(runIds(again)).as("an expired lease makes the rows claimable again").containsAll(runs);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")).as("claiming publishes nothing")
        .isEqualTo(7);
  }

  @Test
  void aPublishThatTimesOutLeavesTheRowsForARetry() throws Exception {
    URI amqp = URI.create(NotificationTestBase.AMQP_URL);
    proxy = new TcpProxy(amqp.getHost(), amqp.getPort() == -1 ? 5672 : amqp.getPort());
    Topology topology = new Topology(namespace, false, List.of(300L, 600L, 1200L), List.of(300L, 600L));
    OutboxRelay relay = onContext(() -> new OutboxRelay(app.vertx(), pool, repository, new NotificationMetrics(null),
        100, 1000, 5000));
    broker = onContext(() -> new BrokerConnection(app.vertx(), proxy.url(NotificationTestBase.AMQP_URL), "lease-test",
        topology, relay::onConnected));
    long poll = onContext(() -> {
      relay.attach(broker);
      broker.start();
      return app.vertx().setPeriodic(1000, t -> relay.wake()); // the verticle's safety-net poll
    });
    eventually(Duration.ofSeconds(15), "the relay's broker connection", broker::isConnected);

    Set<String> before = insertTaskRows(3);
    onContext(() -> { relay.wake(); return null; });
    eventually(Duration.ofSeconds(15), "rows published while the broker answers",
        () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0);

    try (LogCapture logs = LogCapture.start()) {
      proxy.stall();
      Set<String> during = insertTaskRows(3);
      onContext(() -> { relay.wake(); return null; });
      eventually(Duration.ofSeconds(15), "the relay to give up on the unconfirmed batch",
          () -> logs.lines().stream().anyMatch(l -> l.contains("outbox relay") && l.contains("retrying in")));
      eventually(Duration.ofSeconds(15), "the claim released for the next try", () ->
          db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL AND claimed_until IS NULL") == 3);
      Thread.sleep(1500); // longer than the publish timeout: still nothing marked
      assertThat(db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")).isEqualTo(3);

      proxy.forward();
      eventually(Duration.ofSeconds(45), "the rows published once the broker answers again",
          () -> db.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0);
      Set<String> queued = drain(topology.taskQueue());
      assertThat(queued).as("every run's message reached the queue (copies are allowed: workers deduplicate)")
          .containsAll(before).containsAll(during);
    } finally {
      app.vertx().cancelTimer(poll);
    }
  }

  private Set<String> insertTaskRows(int n) {
    Set<String> runs = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String run = UUID.randomUUID().toString();
      db.update("INSERT INTO outbox (kind, payload) VALUES ('task.run', jsonb_build_object('runId', ?::text, "
          + "'jobId', ?::text, 'taskName', 'purge_expired', 'payload', '{}'::jsonb, 'retry', 0))", run, run);
      runs.add(run);
    }
    return runs;
  }

  private static Set<String> runIds(List<OutboxRow> rows) {
    Set<String> ids = new HashSet<>();
    rows.forEach(r -> ids.add(r.payload().getString("runId")));
    return ids;
  }

  private static Set<String> drain(String queue) {
    return NotificationTestBase.withBroker(ch -> {
      Set<String> ids = new HashSet<>();
      for (GetResponse m = ch.basicGet(queue, true); m != null; m = ch.basicGet(queue, true)) {
        ids.add(m.getProps().getMessageId());
      }
      return ids;
    });
  }

  private <T> T onContext(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> result.complete(action.get()));
    return result.get(10, TimeUnit.SECONDS);
  }

}
