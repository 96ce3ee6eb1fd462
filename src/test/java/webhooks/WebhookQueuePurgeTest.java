package webhooks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.NotificationTestBase;
import support.RosterApp;
import support.WebhookReceiver;
import support.WebhookReceiver.Received;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Webhook messages the broker loses before any worker took them are delivered anyway. This node runs the API and
 * the relay but no worker and no scheduler: 30 changes each make a message in {@code {ns}.webhooks}, and the relay
 * records a pending delivery for each as it publishes. Ops purge the queue, so the messages are gone. Then a node
 * with a worker and the scheduler starts: the leader's webhook sweeper (grace and interval short here) finds the
 * overdue deliveries and queues each again through the outbox, and the receiver gets every one exactly once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookQueuePurgeTest extends NotificationTestBase {

  private static final int DELIVERIES = 30;
  /** Short, so the test is quick; longer than a message waits in the queue on a quiet machine. */
  private static final long GRACE_MS = 3000;
  private final WebhookReceiver receiver = new WebhookReceiver();

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_WEBHOOKS_ALLOWED_HOSTS", "127.0.0.1");
    env.put("ROSTER_SWEEPER_GRACE_MS", String.valueOf(GRACE_MS));
    env.put("ROSTER_SWEEPER_INTERVAL_MS", "500");
    env.put("ROSTER_WORKER_INSTANCES", "0");
    env.put("ROSTER_SCHEDULER_ENABLED", "false");
    return env;
  }

  @AfterAll
  void stopReceiver() {
    receiver.close();
  }

  @Test
  void purgedMessagesAreSweptAndDeliveredOnceEach() throws Exception {
    Api.Res created = api.post("/v1/webhooks", admin.token(), new JsonObject().put("url", receiver.url("/purged"))
        .put("eventTypes", new JsonArray().add("member.created")));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String endpointId = created.json().getString("id");
    for (int i = 0; i < DELIVERIES; i++) {
      Api.Res member = api.post("/v1/members", admin.token(), new JsonObject().put("email", "purged" + i + "@example.com")
          .put("name", "Purged " + i));
      assertThat(member.status()).as(member.toString()).isEqualTo(201);
    }
    String queue = namespace + ".webhooks";
    eventually(Duration.ofSeconds(30), "every message published and its delivery recorded pending",
        () -> published(queue) == DELIVERIES && pending(endpointId) == DELIVERIES);
    int purged = withBroker(ch -> ch.queuePurge(queue).getMessageCount());
    assertThat(purged).as("messages purged from the webhook queue").isEqualTo(DELIVERIES);
    assertThat(receiver.at("/purged")).isEmpty();

    Map<String, String> worker = new HashMap<>(notificationSettings());
    worker.put("ROSTER_WORKER_INSTANCES", "1");
    worker.put("ROSTER_SCHEDULER_ENABLED", "true");
    long started = System.nanoTime();
    try (RosterApp workerNode = startApp(worker)) {
      eventually(Duration.ofSeconds(60), "every purged delivery succeeded",
          () -> db.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?::uuid "
              + "AND status = 'succeeded'", endpointId) == DELIVERIES);
      System.out.println("WebhookQueuePurgeTest: " + DELIVERIES + " purged deliveries succeeded "
          + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms after the worker node started (grace "
          + GRACE_MS + " ms)");
      Thread.sleep(2000); // a second copy, were one sent, would arrive by now
      List<Received> got = receiver.at("/purged");
      Map<String, Integer> perId = new HashMap<>();
      got.forEach(r -> perId.merge(r.header("webhook-id"), 1, Integer::sum));
      System.out.println("WebhookQueuePurgeTest: requests " + got.size() + ", distinct webhook-ids " + perId.size()
          + ", swept " + swept(workerNode));
      assertThat(got).as("requests at the receiver").hasSize(DELIVERIES);
      assertThat(perId).as("one request per message").hasSize(DELIVERIES).allSatisfy((id, n) -> assertThat(n).isOne());
      assertThat(db.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?::uuid AND attempts <> 1",
          endpointId)).as("deliveries not tried exactly once").isZero();
      assertThat(swept(workerNode)).as("roster_webhook_sweeper_republished_total").isGreaterThanOrEqualTo(DELIVERIES);
      // copies queued again while the first was still on its way are only acknowledged (their delivery is done)
      eventually(Duration.ofSeconds(30), "the webhook queue drained", () -> messageCount(queue) == 0);
      assertThat(messageCount(queue + ".dlq")).as("dead letters").isZero();
      assertThat(receiver.at("/purged")).as("requests at the receiver, the copies drained").hasSize(DELIVERIES);
    }
  }

  private long pending(String endpointId) {
    return db.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ?::uuid AND status = 'pending' "
        + "AND attempts = 0 AND next_attempt_at IS NOT NULL", endpointId);
  }

  private double swept(RosterApp node) {
    Api.Res metrics = new Api(node.baseUrl()).call("GET", "/metrics").send();
    assertThat(metrics.status()).isEqualTo(200);
    Matcher m = Pattern.compile("(?m)^roster_webhook_sweeper_republished_total(\\{[^}]*\\})? (\\S+)$")
        .matcher(metrics.raw().body());
    return m.find() ? Double.parseDouble(m.group(2)) : 0;
  }

  /** Messages in the queue; -1 while the relay has not declared it yet (its connection may come after the test's start). */
  private static long published(String queue) {
    try {
      return messageCount(queue);
    } catch (IllegalStateException notDeclaredYet) {
      return -1;
    }
  }
}
