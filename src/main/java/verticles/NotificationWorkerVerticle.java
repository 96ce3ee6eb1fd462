package verticles;

import config.AppConfig;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.sqlclient.Pool;
import notifications.BrokerConnection;
import notifications.BrokerEndpoint;
import notifications.BrokerHealth;
import notifications.NotificationMetrics;
import notifications.NotificationRepository;
import notifications.NotificationWorker;
import notifications.Templates;
import notifications.Topology;
import notifications.channels.EmailChannel;
import notifications.channels.LogChannel;
import notifications.channels.NotificationChannel;
import notifications.channels.PushChannel;
import notifications.channels.PushSetup;
import notifications.channels.SmsChannel;

import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

/** Wiring of one notification worker: its pool, its channels, and its broker connection with consumers. */
public final class NotificationWorkerVerticle extends VerticleBase {

  private final BrokerHealth health;
  private final PushSetup push;
  private Pool pool;
  private BrokerConnection broker;
  private WebClient http;
  private NotificationWorker worker;
  private long graceMs;

  /** @param push the node's push settings, read at start-up (shared: one token cache per node); null when off */
  public NotificationWorkerVerticle(BrokerHealth health, PushSetup push) {
    this.health = health;
    this.push = push;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    graceMs = config.shutdownGraceMs();
    pool = Database.pool(vertx, config, 4);
    http = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(5000).setKeepAlive(true));
    worker = new NotificationWorker(vertx, pool, new NotificationRepository(), channels(config),
        new Templates(ZoneId.of(config.notifyTimezone())), new NotificationMetrics(BackendRegistries.getDefaultNow()),
        config.notifyMaxAttempts(), config.amqpPrefetch(), config.sendTimeoutMs())
        .capPerHour("sms", config.rateSmsPerHour())
        .capPerHour("push", config.ratePushPerHour());
    broker = new BrokerConnection(vertx, BrokerEndpoint.of(config), "roster-worker", OutboxRelayVerticle.topologyOf(config),
        worker::onConnected);
    worker.attach(broker);
    health.register(broker);
    return broker.start();
  }

  /** The configured channels; with notifications.channel=log every channel writes to the log instead. */
  private Map<String, NotificationChannel> channels(AppConfig config) {
    Map<String, NotificationChannel> channels = new HashMap<>();
    if ("log".equals(config.notifyChannelOverride())) {
      Topology.CHANNELS.forEach(c -> channels.put(c, new LogChannel(c)));
      return channels;
    }
    if (!config.smtp().getString("host", "").isBlank()) {
      channels.put("email", new EmailChannel(vertx, config.smtp()));
    }
    if (!config.sms().getString("url", "").isBlank()) {
      channels.put("sms", new SmsChannel(http, config.sms(), config.sendTimeoutMs()));
    }
    if (push != null) {
      channels.put("push", new PushChannel(http, push.url(), push.projectId(), push.auth(), config.sendTimeoutMs()));
    }
    return channels;
  }

  /** Stops consuming, lets the deliveries in flight finish and be acknowledged, then closes. */
  @Override
  public Future<?> stop() {
    health.unregister(broker);
    return worker.drain(graceMs).eventually(() -> broker.close()).eventually(() -> pool.close()).eventually(() -> {
      http.close();
      return Future.succeededFuture();
    });
  }
}
