package verticles;

import config.AppConfig;
import db.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import notifications.BrokerConnection;
import notifications.BrokerEndpoint;
import notifications.BrokerHealth;
import notifications.NotificationMetrics;
import notifications.NotificationRepository;
import notifications.OutboxRelay;
import notifications.Topology;
import ops.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring of the outbox relay: its pool, its broker connection, LISTEN roster_outbox and the safety-net poll. */
public final class OutboxRelayVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(OutboxRelayVerticle.class);

  private final BrokerHealth health;
  private Pool pool;
  private BrokerConnection broker;
  private PgConnection listener;
  private OutboxRelay relay;
  private long pollTimer = -1;
  private boolean stopping;
  /** Between attempts to LISTEN again after the connection dropped (the poll covers the gap). */
  private final Backoff listenBackoff = new Backoff(500, 15_000);

  public OutboxRelayVerticle(BrokerHealth health) {
    this.health = health;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    pool = Database.pool(vertx, config, 4);
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    relay = new OutboxRelay(vertx, pool, new NotificationRepository(), new NotificationMetrics(registry),
        config.relayBatchSize(), OutboxRelay.PUBLISH_TIMEOUT_MS, OutboxRelay.CLAIM_LEASE_MS);
    broker = new BrokerConnection(vertx, BrokerEndpoint.of(config), "roster-relay", topologyOf(config), relay::onConnected);
    relay.attach(broker);
    health.register(broker);
    listen(config, relay);
    pollTimer = vertx.setPeriodic(config.relayPollMs(), t -> {
      relay.wake();
      relay.observe().onFailure(e -> log.debug("relay metrics: {}", e.getMessage()));
    });
    return broker.start();
  }

  static Topology topologyOf(AppConfig config) {
    return new Topology(config.amqpNamespace(), config.amqpQuorumQueues(), config.retryDelaysMs(),
        config.taskRetryDelaysMs(), config.webhookRetryDelaysMs());
  }

  /** LISTEN on a dedicated connection; when it drops, listen again (the poll covers the gap). */
  private void listen(AppConfig config, OutboxRelay relay) {
    if (stopping) {
      return;
    }
    PgConnection.connect(vertx, Database.connectOptions(config))
        .compose(conn -> {
          if (stopping) { // stopped while connecting: nobody would close this connection later
            return conn.close().mapEmpty();
          }
          listener = conn;
          conn.notificationHandler(n -> relay.wake());
          conn.closeHandler(v -> {
            if (!stopping) {
              vertx.setTimer(listenBackoff.nextDelayMs(), t -> listen(config, relay));
            }
          });
          return conn.query("LISTEN roster_outbox").execute();
        })
        .onSuccess(rows -> {
          listenBackoff.reset();
          relay.wake();
        })
        .onFailure(e -> {
          long delay = listenBackoff.nextDelayMs();
          log.warn("outbox relay cannot LISTEN yet ({}); polling meanwhile, trying again in {} ms", e.getMessage(), delay);
          vertx.setTimer(delay, t -> listen(config, relay));
        });
  }

  /** Finishes the batch being published (and a last one), then closes the listener, the broker and the pool. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(pollTimer);
    health.unregister(broker);
    return relay.stop().eventually(() -> {
      Future<Void> listening = listener == null ? Future.succeededFuture() : listener.close();
      return Future.join(listening, broker.close());
    }).eventually(() -> pool.close());
  }
}
