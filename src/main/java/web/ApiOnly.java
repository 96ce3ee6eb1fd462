package web;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Runs a handler for /v1 requests only; the operations endpoints pass by untouched. */
public final class ApiOnly implements Handler<RoutingContext> {

  public static final String PREFIX = "/v1/";

  private final Handler<RoutingContext> handler;

  private ApiOnly(Handler<RoutingContext> handler) {
    this.handler = handler;
  }

  public static Handler<RoutingContext> of(Handler<RoutingContext> handler) {
    return new ApiOnly(handler);
  }

  @Override
  public void handle(RoutingContext rc) {
    if (rc.normalizedPath().startsWith(PREFIX)) {
      handler.handle(rc);
    } else {
      rc.next();
    }
  }
}
