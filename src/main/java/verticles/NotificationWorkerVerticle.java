package verticles;

import config.AppConfig;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
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

import webhooks.AddressPolicy;
import webhooks.WebhookMetrics;
import webhooks.WebhookRepository;
import webhooks.WebhookSender;
import webhooks.WebhookWorker;

import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

/**
 * Wiring of one notification worker: its pool, its channels, and its broker connection with consumers; and of
 * the webhook worker beside it (same pool, its own broker connection).
 */
public final class NotificationWorkerVerticle extends VerticleBase {

  private final BrokerHealth health;
  private final PushSetup push;
  private Pool pool;
  private BrokerConnection broker;
  private WebClient http;
  private NotificationWorker worker;
  private BrokerConnection hooksBroker;
  private HttpClient hooksHttp;
  private WebhookWorker webhooks;
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
    return Future.all(broker.start(), startWebhooks(config));
  }

  /** The webhook worker: its own broker connection (its own prefetch), HTTP client and address policy. */
  private Future<Void> startWebhooks(AppConfig config) {
    hooksHttp = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.webhooksTimeoutMs()))
        // no pooled connections: each attempt connects to the address it has just checked
        .setKeepAlive(false));
    webhooks = new WebhookWorker(vertx, pool, new WebhookRepository(),
        new WebhookSender(vertx, hooksHttp, new AddressPolicy(config.webhooksAllowedHosts()), config.webhooksTimeoutMs()),
        new WebhookMetrics(BackendRegistries.getDefaultNow()), config.amqpPrefetch(),
        config.webhooksConcurrencyPerEndpoint(), config.webhooksDisableAfterDays(), config.webhooksTimeoutMs());
    hooksBroker = new BrokerConnection(vertx, BrokerEndpoint.of(config), "roster-webhooks",
        OutboxRelayVerticle.topologyOf(config), webhooks::onConnected);
    webhooks.attach(hooksBroker);
    health.register(hooksBroker);
    return hooksBroker.start();
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
    health.unregister(hooksBroker);
    return Future.all(worker.drain(graceMs), webhooks.drain(graceMs))
        .eventually(() -> broker.close()).eventually(() -> hooksBroker.close())
        .eventually(() -> pool.close()).eventually(() -> {
          http.close();
          return hooksHttp.close();
        });
  }
}
