package support;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import config.AppConfig;
import io.vertx.core.json.JsonObject;
import notifications.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * An API test base with the notification pipeline on: real RabbitMQ (ROSTER_TEST_AMQP_URL, default
 * amqp://guest:guest@127.0.0.1:5672), a real SMTP server (GreenMail on a free port), and SMS and push
 * providers that record requests. Each class gets its own exchange and queue names (ROSTER_AMQP_NAMESPACE)
 * and deletes them at the end, so classes do not see each other's messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class NotificationTestBase extends ApiTestBase {

  public static final String AMQP_URL = brokerUrl();

  /** ROSTER_TEST_AMQP_URL; else a Testcontainers RabbitMQ where Docker runs; else the local server. */
  private static String brokerUrl() {
    String configured = System.getenv("ROSTER_TEST_AMQP_URL");
    if (configured != null && !configured.isBlank()) {
      return configured;
    }
    if (TestDatabase.dockerAvailable()) {
      var container = new org.testcontainers.rabbitmq.RabbitMQContainer("rabbitmq:3.13-management-alpine");
      container.start();
      return container.getAmqpUrl();
    }
    return "amqp://guest:guest@127.0.0.1:5672";
  }

  protected GreenMail smtp;
  protected ProviderRecorder sms;
  protected ProviderRecorder push;
  protected String namespace;

  /** Settings a class may change (e.g. point ROSTER_AMQP_URL at a proxy) before the service starts. */
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = new HashMap<>();
    env.put("ROSTER_AMQP_URL", AMQP_URL);
    env.put("ROSTER_AMQP_NAMESPACE", namespace);
    env.put("ROSTER_RELAY_INSTANCES", "1");
    env.put("ROSTER_WORKER_INSTANCES", "1");
    env.put("ROSTER_SMTP_HOST", "127.0.0.1");
    env.put("ROSTER_SMTP_PORT", String.valueOf(smtp.getSmtp().getPort()));
    env.put("ROSTER_SMTP_FROM", "roster@club.example");
    env.put("ROSTER_SMTP_STARTTLS", "DISABLED");
    env.put("ROSTER_SMS_URL", sms.url());
    env.put("ROSTER_SMS_ACCOUNT_SID", "AC123");
    env.put("ROSTER_SMS_AUTH_TOKEN", "sms-secret");
    env.put("ROSTER_SMS_FROM", "+15550001111");
    env.put("ROSTER_PUSH_URL", push.url());
    env.put("ROSTER_PUSH_PROJECT_ID", "roster-test");
    env.put("ROSTER_PUSH_ACCESS_TOKEN", "push-secret");
    env.put("ROSTER_NOTIFY_RETRY_DELAYS_MS", "300,600,1200");
    env.put("ROSTER_NOTIFY_MAX_ATTEMPTS", "4");
    env.put("ROSTER_NOTIFY_RELAY_POLL_MS", "1000");
    env.put("ROSTER_NOTIFY_SEND_TIMEOUT_MS", "5000");
    env.put("ROSTER_SCHEDULER_RETRY_DELAYS_MS", "300,600");
    env.put("ROSTER_WEBHOOKS_RETRY_DELAYS_MS", "300,600,1200");
    return env;
  }

  @Override
  protected Map<String, String> serviceSettings() {
    return notificationSettings();
  }

  @BeforeAll
  @Override
  void startService() {
    namespace = "test-" + UUID.randomUUID().toString().substring(0, 8);
    smtp = new GreenMail(new ServerSetup(freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    sms = new ProviderRecorder();
    push = new ProviderRecorder();
    super.startService();
  }

  @AfterAll
  @Override
  void stopService() {
    super.stopService();
    if (smtp != null) {
      smtp.stop();
    }
    if (sms != null) {
      sms.close();
    }
    if (push != null) {
      push.close();
    }
    deleteTopology(namespace);
  }

  /** Polls until the condition holds, or fails after the timeout (for asynchronous delivery). */
  public static void eventually(Duration timeout, String what, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("not within " + timeout + ": " + what);
  }

  /** The e-mails GreenMail received for this address. */
  protected List<jakarta.mail.internet.MimeMessage> mailsTo(String email) {
    List<jakarta.mail.internet.MimeMessage> out = new java.util.ArrayList<>();
    for (jakarta.mail.internet.MimeMessage m : smtp.getReceivedMessages()) {
      try {
        for (var to : m.getAllRecipients()) {
          if (to.toString().equalsIgnoreCase(email)) {
            out.add(m);
            break;
          }
        }
      } catch (jakarta.mail.MessagingException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  /** Direct access to the broker, for assertions on queues (message counts, dead letters) and for poison. */
  public static <T> T withBroker(BrokerCall<T> call) {
    try {
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(AMQP_URL);
      try (Connection connection = factory.newConnection("roster-test"); Channel channel = connection.createChannel()) {
        return call.call(channel);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Messages ready in a queue, straight from the broker. */
  public static long messageCount(String queue) {
    return withBroker(ch -> ch.messageCount(queue));
  }

  public interface BrokerCall<T> {
    T call(Channel channel) throws Exception;
  }

  protected String queue(String channel) {
    return queue(namespace, channel);
  }

  private static String queue(String namespace, String channel) {
    return namespace + ".notifications." + channel;
  }

  protected String deadLetterQueue(String channel) {
    return queue(channel) + ".dlq";
  }

  protected String parkedQueue(String channel) {
    return queue(channel) + ".parked";
  }

  /** Messages waiting in a channel's queue. */
  protected long queueDepth(String channel) {
    return withBroker(ch -> ch.queueDeclarePassive(queue(channel)).getMessageCount());
  }

  /** Messages in a channel's dead-letter queue. */
  protected long deadLetters(String channel) {
    return withBroker(ch -> ch.queueDeclarePassive(deadLetterQueue(channel)).getMessageCount());
  }

  /**
   * Deletes the queues and exchanges of a namespace, best effort: with the suite's retry delays and with the
   * defaults of conf/application.yaml (processes started with `start` use those), so nothing is left behind.
   */
  public static void deleteTopology(String namespace) {
    AppConfig defaults = new AppConfig(new JsonObject());
    Set<Long> delays = new TreeSet<>(List.of(300L, 600L, 1200L));
    delays.addAll(defaults.retryDelaysMs());
    delays.addAll(defaults.taskRetryDelaysMs());
    delays.addAll(defaults.webhookRetryDelaysMs());
    List<String> queues = new ArrayList<>(List.of(namespace + ".tasks", namespace + ".webhooks"));
    Topology.CHANNELS.forEach(channel -> queues.add(queue(namespace, channel)));
    try {
      withBroker(ch -> {
        for (String queue : queues) {
          ch.queueDelete(queue);
          ch.queueDelete(queue + ".dlq");
          ch.queueDelete(queue + ".parked");
          for (long delay : delays) {
            ch.queueDelete(queue + ".retry." + delay);
          }
        }
        for (String x : List.of(".notifications", ".notifications.dlx", ".tasks", ".tasks.dlx", ".webhooks",
            ".webhooks.dlx")) {
          ch.exchangeDelete(namespace + x);
        }
        return null;
      });
    } catch (RuntimeException ignored) {
      // best effort: the names are unique per run
    }
  }

  protected static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
