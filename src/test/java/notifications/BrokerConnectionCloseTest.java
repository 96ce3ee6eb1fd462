package notifications;

import com.rabbitmq.client.DefaultConsumer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.NotificationTestBase;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A verticle that owns a {@link BrokerConnection} can be stopped while the connection is still being made
 * (start() returns before the broker answers). The stop must not leave a connection and its consumers behind:
 * such an orphan takes messages from the queue that no live worker will ever settle properly.
 */
class BrokerConnectionCloseTest {

  private final Vertx vertx = Vertx.vertx();
  /** An event-loop context, as a verticle has: BrokerConnection is made, started and closed on it. */
  private final Context context = vertx.getOrCreateContext();
  private final String namespace = "test-" + UUID.randomUUID().toString().substring(0, 8);
  /** The suite's retry delays, so NotificationTestBase.deleteTopology removes every queue. */
  private final Topology topology = new Topology(namespace, false, List.of(300L, 600L, 1200L), List.of(300L, 600L));

  @AfterEach
  void cleanUp() throws Exception {
    NotificationTestBase.deleteTopology(namespace);
    await(vertx.close());
  }

  @Test
  void closingWhileConnectingWaitsAndLeavesNoConsumer() throws Exception {
    CountDownLatch consumersStarting = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    String sms = topology.queue("sms");
    BrokerConnection broker = onContext(() -> new BrokerConnection(vertx, NotificationTestBase.AMQP_URL,
        "close-test", topology, ch -> {
          consumersStarting.countDown();
          proceed.await(10, TimeUnit.SECONDS); // the owner stops right now, while consumers are being set up
          ch.basicConsume(sms, false, new DefaultConsumer(ch));
          return null;
        }));
    await(onContext(broker::start));
    assertThat(consumersStarting.await(10, TimeUnit.SECONDS)).as("connected, consumers starting").isTrue();

    Future<Void> closed = onContext(broker::close);
    Thread.sleep(300);
    assertThat(closed.isComplete()).as("close waits for the connect in progress").isFalse();
    proceed.countDown();
    await(closed);

    assertThat(broker.isConnected()).isFalse();
    assertThat(consumers(sms)).as("consumers left on the queue after close").isZero();
    Thread.sleep(1000); // no late reconnect either
    assertThat(consumers(sms)).isZero();
  }

  @Test
  void closingAConnectedBrokerClosesItsConnection() throws Exception {
    String sms = topology.queue("sms");
    BrokerConnection broker = onContext(() -> new BrokerConnection(vertx, NotificationTestBase.AMQP_URL,
        "close-test", topology, ch -> {
          ch.basicConsume(sms, false, new DefaultConsumer(ch));
          return null;
        }));
    await(onContext(broker::start));
    long deadline = System.currentTimeMillis() + 10_000;
    while (!broker.isConnected() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(consumers(sms)).isEqualTo(1);

    await(onContext(broker::close));
    assertThat(broker.isConnected()).isFalse();
    assertThat(consumers(sms)).isZero();
  }

  private <T> T onContext(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> result.complete(action.get()));
    return result.get(10, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private long consumers(String queue) throws Exception {
    return NotificationTestBase.withBroker(ch -> (long) ch.queueDeclarePassive(queue).getConsumerCount());
  }
}
