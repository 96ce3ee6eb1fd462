package dev;

import org.apache.qpid.server.SystemLauncher;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * start-dev's AMQP 0-9-1 broker: Apache Qpid Broker-J in this process, in memory, on a free 127.0.0.1 port.
 * It ignores RabbitMQ's queue arguments (TTL, dead-lettering), so retries and dead letters need a real
 * RabbitMQ; the happy path runs end to end.
 */
final class EmbeddedBroker implements AutoCloseable {

  private final SystemLauncher launcher = new SystemLauncher();
  private final int port;
  private final Path workDir;

  private EmbeddedBroker(int port, Path workDir) {
    this.port = port;
    this.workDir = workDir;
  }

  /** Blocking: call on a worker thread. */
  static EmbeddedBroker start() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path work = Files.createTempDirectory("roster-qpid-");
    EmbeddedBroker broker = new EmbeddedBroker(port, work);
    URL config = EmbeddedBroker.class.getClassLoader().getResource("dev/qpid-config.json");
    Map<String, Object> attributes = new HashMap<>();
    attributes.put("type", "Memory");
    attributes.put("initialConfigurationLocation", config.toExternalForm());
    attributes.put("startupLoggedToSystemOut", false);
    attributes.put("context", Map.of(
        "qpid.amqp_port", String.valueOf(port),
        "qpid.work_dir", work.toString(),
        // RabbitMQ's x-arguments would otherwise close the connection
        "queue.behaviourOnUnknownDeclareArgument", "IGNORE"));
    broker.launcher.startup(attributes);
    return broker;
  }

  String url() {
    return "amqp://guest:guest@127.0.0.1:" + port + "/default";
  }

  int port() {
    return port;
  }

  @Override
  public void close() throws IOException {
    launcher.shutdown();
    try (var files = Files.walk(workDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
