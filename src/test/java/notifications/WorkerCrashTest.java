package notifications;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.HoldingSmsProvider;
import support.NotificationTestBase;
import support.TcpProxy;
import verticles.NotificationWorkerVerticle;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A notification worker dies, or loses its broker connection, while a delivery is in flight.
 *
 * <p>What the worker guarantees (NotificationWorker, NotificationRepository.claim): for each message it
 * <ol>
 *   <li>claims the delivery row ({@code notification_id, channel} unique) as {@code sending} with a lease of
 *       send timeout + 10 s; a row someone else holds under a live lease is BUSY (the message goes to a delay
 *       queue and comes back), a row already {@code sent} is just acknowledged;</li>
 *   <li>sends through the channel (here: the SMS provider);</li>
 *   <li>marks the row {@code sent};</li>
 *   <li>acknowledges the message to RabbitMQ.</li>
 * </ol>
 * A clean stop (undeploy) first stops consuming and waits for the deliveries in flight, so they finish and are
 * acknowledged. A message is redelivered whenever the ack did not reach the broker, and the delivery row decides:
 * <ul>
 *   <li>a process killed between 2 and 3 (the provider got the request, the row is still {@code sending}): the
 *       next worker waits out the lease, then sends again. The provider sees the message twice; that is the
 *       at-least-once window the design accepts (nothing can know whether the provider acted on a request whose
 *       answer was lost), and the lease keeps the second send from happening while the first holder may still be
 *       alive. (An in-process test cannot kill -9; this window is the documented one.)</li>
 *   <li>cut between 3 and 4 (the row is {@code sent}, the ack is lost): the redelivered copy is acknowledged
 *       without sending; the provider sees the message exactly once.</li>
 * </ul>
 *
 * <p>The SMS provider here holds its answer on a latch, so the test decides when a send is in flight. The worker
 * is "killed" by undeploying its verticle (connection, pool and HTTP client closed under the running delivery)
 * and replaced by a fresh {@code NotificationWorkerVerticle} with the same configuration; for the lost ack, a
 * worker reaches RabbitMQ through the TCP proxy of {@link BrokerOutageTest} and the proxy is cut.
 */
class WorkerCrashTest extends NotificationTestBase {

  private HoldingSmsProvider provider;
  private TcpProxy proxy;
  /** Health of the workers this test deploys (the application's own registry is private to MainVerticle). */
  private final BrokerHealth health = new BrokerHealth();
  private JsonObject workerConfig;

  @Override
  protected Map<String, String> notificationSettings() {
    provider = new HoldingSmsProvider();
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_SMS_URL", provider.url());
    // a held send must still be in flight when the test stops the worker (the lease is this + 10 s)
    env.put("ROSTER_NOTIFY_SEND_TIMEOUT_MS", "8000");
    return env;
  }

  @AfterAll
  void closeHelpers() {
    if (proxy != null) {
      proxy.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  @Test
  void aWorkerStoppedMidSendFinishesTheDeliveryBeforeLeaving() throws Exception {
    replaceWorker(config());
    String event = createEvent(10, 0).getString("id");
    Texted who = smsMember();

    provider.holdNext();
    assertThat(book(who.person(), event).status()).isEqualTo(201);
    eventually(Duration.ofSeconds(20), "the SMS at the provider", () -> provider.to(who.phone()).size() == 1);

    // in flight: claimed under a lease, not sent
    assertThat(deliveryStatus(who)).isEqualTo("sending");

    // a clean stop (rolling deploy, scale-down) while the provider still holds its answer: the worker stops
    // consuming and waits for the delivery in flight; the provider answers a moment later
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
      provider.release();
    });
    release.start();
    long stopping = System.currentTimeMillis();
    undeployWorkers();
    release.join();
    assertThat(System.currentTimeMillis() - stopping).as("the stop waited for the delivery").isGreaterThanOrEqualTo(900);
    assertThat(deliveryStatus(who)).as("recorded sent before the worker left").isEqualTo("sent");

    // the message was acknowledged: a fresh worker finds nothing to send again
    deployWorker(config());
    eventually(Duration.ofSeconds(10), "the SMS queue empty", () -> queueDepth("sms") == 0);
    Thread.sleep(1500);
    assertThat(provider.to(who.phone())).as("requests the provider got for the member").hasSize(1);
    assertThat(db.count("SELECT attempts FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'sms'",
        who.person().id())).isEqualTo(1);
    assertThat(deadLetters("sms")).isZero();
  }

  @Test
  void anAckLostAfterTheSendWasRecordedDoesNotSendAgain() throws Exception {
    URI broker = URI.create(AMQP_URL);
    proxy = new TcpProxy(broker.getHost(), broker.getPort() == -1 ? 5672 : broker.getPort());
    JsonObject proxied = config().copy();
    proxied.getJsonObject("amqp").put("url", proxy.url(AMQP_URL));
    replaceWorker(proxied);
    assertThat(proxy.connectionsSeen()).as("the worker connects through the proxy").isPositive();

    String event = createEvent(10, 0).getString("id");
    Texted who = smsMember();
    provider.holdNext();
    assertThat(book(who.person(), event).status()).isEqualTo(201);
    eventually(Duration.ofSeconds(20), "the SMS at the provider", () -> provider.to(who.phone()).size() == 1);
    assertThat(deliveryStatus(who)).isEqualTo("sending");
    String notificationId = notificationId(who);

    // the worker's broker connection goes (both sides): the broker takes the unacknowledged message back
    proxy.cut();
    eventually(Duration.ofSeconds(30), "the broker requeueing the unacknowledged message", () -> queueDepth("sms") == 1);

    // the provider answers now: the worker records the delivery sent, but its ack cannot reach the broker
    provider.release();
    eventually(Duration.ofSeconds(10), "the delivery recorded sent", () -> "sent".equals(deliveryStatus(who)));
    assertThat(queueDepth("sms")).as("the message still waits in the queue, to be redelivered").isEqualTo(1);

    // the connection comes back: the message is redelivered and acknowledged without a second send
    proxy.forward();
    eventually(Duration.ofSeconds(30), "the worker reconnected and took the message",
        () -> health.up() && queueDepth("sms") == 0);
    // a later notification through the same worker, as a marker that the redelivered copy was handled before it
    Texted later = smsMember();
    assertThat(book(later.person(), event).status()).isEqualTo(201);
    eventually(Duration.ofSeconds(20), "the later SMS sent", () -> "sent".equals(deliveryStatus(later)));

    assertThat(provider.to(who.phone())).as("requests the provider got for the member").hasSize(1);
    assertThat(provider.to(later.phone())).hasSize(1);
    assertThat(db.count("SELECT attempts FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'sms'",
        who.person().id())).isEqualTo(1);

    // the redelivered copy was acknowledged: with that worker stopped, nothing of it is left in the queue
    undeployWorkers();
    List<String> left = withBroker(ch -> {
      List<String> ids = new ArrayList<>();
      var got = ch.basicGet(queue("sms"), false);
      while (got != null) {
        ids.add(new JsonObject(new String(got.getBody(), StandardCharsets.UTF_8)).getString("notificationId"));
        got = ch.basicGet(queue("sms"), false);
      }
      return ids; // closing the channel puts them back
    });
    assertThat(left).doesNotContain(notificationId);
    assertThat(deadLetters("sms")).isZero();
    deployWorker(config());
  }

  // ---------------------------------------------------------------- helpers

  /** A member who chose SMS only, with a fresh phone number. */
  record Texted(Person person, String phone) {
  }

  private Texted smsMember() {
    Person person = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(), new JsonObject()
        .put("channels", new JsonArray().add("sms")).put("phone", phone));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return new Texted(person, phone);
  }

  private String deliveryStatus(Texted who) {
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT status FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'sms'")) {
      st.setString(1, who.person().id());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private String notificationId(Texted who) {
    try (var c = db.connect(); var st = c.prepareStatement(
        "SELECT notification_id FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'sms'")) {
      st.setString(1, who.person().id());
      try (ResultSet rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private VertxInternal vertx() {
    return (VertxInternal) app.vertx();
  }

  /** Deployment ids of the running notification workers (the application's and ours). */
  private List<String> workerDeployments() {
    List<String> ids = new ArrayList<>();
    for (String id : vertx().deploymentIDs()) {
      DeploymentContext deployment = vertx().deploymentManager().deployment(id);
      if (deployment != null && deployment.deployment().instances().stream()
          .anyMatch(NotificationWorkerVerticle.class::isInstance)) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** The configuration the application gave its worker verticle (the same JSON MainVerticle loaded). */
  private JsonObject config() {
    if (workerConfig == null) {
      List<String> ids = workerDeployments();
      assertThat(ids).as("the application's worker deployment").isNotEmpty();
      workerConfig = vertx().deploymentManager().deployment(ids.get(0)).deployment().options().getConfig().copy();
    }
    return workerConfig;
  }

  private void undeployWorkers() {
    for (String id : workerDeployments()) {
      await(app.vertx().undeploy(id));
    }
    assertThat(workerDeployments()).isEmpty();
  }

  private void deployWorker(JsonObject config) {
    // push with a fixed token here: reading its settings does not block
    notifications.channels.PushSetup push = notifications.channels.PushSetup.from(app.vertx(), new config.AppConfig(config));
    await(app.vertx().deployVerticle(() -> new NotificationWorkerVerticle(health, push),
        new DeploymentOptions().setConfig(config)));
    eventually(Duration.ofSeconds(20), "the new worker connected to the broker", health::up);
  }

  private void replaceWorker(JsonObject config) {
    config(); // read it while the application's worker still runs
    undeployWorkers();
    deployWorker(config);
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
