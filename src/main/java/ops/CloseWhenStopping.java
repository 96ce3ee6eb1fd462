package ops;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.TimeUnit;

/**
 * Once the node is stopping, every response says {@code Connection: close} and its connection closes after it,
 * so keep-alive clients (and proxies that pool connections) reconnect, through the Service, to a pod that
 * stays. The request itself is served normally.
 */
public final class CloseWhenStopping implements Handler<RoutingContext> {

  private final NodeState state;
  private final long graceMs;

  /** @param graceMs how long the response may take before its connection is closed under it */
  public CloseWhenStopping(NodeState state, long graceMs) {
    this.state = state;
    this.graceMs = graceMs;
  }

  @Override
  public void handle(RoutingContext rc) {
    if (state.stopping()) {
      rc.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      // Vert.x closes an HTTP/1.1 connection being shut down once its response is complete, never before
      rc.request().connection().shutdown(graceMs, TimeUnit.MILLISECONDS);
    }
    rc.next();
  }
}
