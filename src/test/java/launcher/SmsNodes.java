package launcher;

import support.HoldingSmsProvider;
import support.NotificationTestBase;
import support.TestDatabase;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * What the process-kill tests share: their own database, SMS provider stand-in and broker namespace, the service
 * processes they start on them, and what they count (delivery rows, queue depths). Closing it shows each process's
 * last lines, ends the processes, and removes the database and the namespace's queues.
 */
final class SmsNodes implements AutoCloseable {

  final TestDatabase db;
  final HoldingSmsProvider provider = new HoldingSmsProvider();
  private final String test;
  private final String namespace;
  private final List<JarProcess> started = new ArrayList<>();

  SmsNodes(String test) {
    this.test = test;
    String label = test.toLowerCase(Locale.ROOT);
    this.db = TestDatabase.create(label);
    this.namespace = label + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A node without the API and the scheduler: relay and workers on this namespace, SMS through the stand-in. */
  NodeEnvironment node() {
    return NodeEnvironment.database(db.url()).broker(namespace).smsProvider(provider.url())
        .set("ROSTER_HTTP_INSTANCES", 0).set("ROSTER_SCHEDULER_ENABLED", false)
        // the suite's retry delays, so NotificationTestBase.deleteTopology finds every queue
        .set("ROSTER_NOTIFY_RETRY_DELAYS_MS", "300,600,1200").set("ROSTER_SHUTDOWN_DELAY_MS", 0)
        .set("JAVA_TOOL_OPTIONS", "-Xmx256m -XX:+UseSerialGC");
  }

  /** Starts a node and waits until the connection of {@code role} (roster-relay, roster-worker) is up. */
  JarProcess start(NodeEnvironment node, String role) throws Exception {
    JarProcess process = JarProcess.start(node.map(), "start");
    started.add(process);
    process.awaitLine(l -> l.contains(role + ": connected to the broker"), Duration.ofSeconds(90));
    return process;
  }

  /** Delivery rows recorded as sent. */
  long sent() {
    return db.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent'");
  }

  /** Messages in the SMS queue ("") or one of its companions (".dlq"). */
  long queueDepth(String suffix) {
    return NotificationTestBase.withBroker(ch -> ch.queueDeclarePassive(namespace + ".notifications.sms" + suffix)
        .getMessageCount());
  }

  @Override
  public void close() {
    started.forEach(p -> p.closeShowingLast(15, test + ": a node's last lines:"));
    provider.close();
    db.drop();
    NotificationTestBase.deleteTopology(namespace);
  }
}
