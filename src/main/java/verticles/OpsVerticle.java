package verticles;

import config.AppConfig;
import db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.sqlclient.Pool;
import logging.AccessLog;
import logging.RequestIdHandler;
import logging.RouteTemplate;
import notifications.BrokerHealth;
import ops.CloseWhenStopping;
import ops.NodeState;
import ops.OpsRoutes;
import ops.Probes;

import java.util.concurrent.TimeUnit;

/**
 * A node without the API (verticles.http.instances = 0) still answers its probes and Prometheus: health and
 * metrics on the HTTP port, no API route. Deployed after the node's other verticles, so {@code /health/live}
 * answering means the node has started; undeployed last, so probes answer while the node drains.
 */
public final class OpsVerticle extends VerticleBase {

  private final BrokerHealth brokerHealth;
  private final NodeState state;
  private Pool probe;
  private HttpServer server;

  public OpsVerticle(BrokerHealth brokerHealth, NodeState state) {
    this.brokerHealth = brokerHealth;
    this.state = state;
  }

  @Override
  public Future<?> start() {
    AppConfig config = new AppConfig(config());
    probe = Database.probePool(vertx, config);
    Router router = Router.router(vertx);
    router.route().handler(new RequestIdHandler());
    if (config.logAccess()) {
      router.route().handler(new AccessLog(RouteTemplate.none()));
    }
    router.route().handler(new CloseWhenStopping(state, 1000));
    tracing.RouteSpanName.addFallbackTo(router, tracing.Tracing.of(vertx));
    OpsRoutes.mountProbes(router, new Probes(vertx, probe, brokerHealth, state));
    return vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort())
        .setHttp2ClearTextEnabled(false))
        .requestHandler(router)
        .listen()
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    // probes are short: a second is plenty for one in flight
    Future<Void> drained = server == null ? Future.succeededFuture() : server.shutdown(1, TimeUnit.SECONDS);
    return drained.eventually(() -> probe == null ? Future.succeededFuture() : probe.close());
  }
}
