package tracing;

import auth.Caller;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Handler;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/**
 * Names the HTTP server span by its operation's route template ({@code POST /v1/bookings}; Vert.x names it by
 * the method alone) with {@code http.route}, and adds the calling member's id as {@code enduser.id} (an id, never
 * an e-mail address). One handler per operation, first after authentication, so the strings are built once.
 */
public final class RouteSpanName implements Handler<RoutingContext> {

  /** Set once an operation's handler has named the span (the route-path fallback then leaves it). */
  private static final String NAMED = "roster.spanNamed";

  private final String name;
  private final String route;

  private RouteSpanName(OpenAPIRoute operation) {
    this.route = operation.getOperation().getAbsoluteOpenAPIPath();
    this.name = operation.getOperation().getHttpMethod().name() + " " + route;
  }

  /** Adds the handler to every operation of the contract's router, when tracing is on (else nothing). */
  public static void addTo(RouterBuilder builder, Tracing tracing) {
    if (tracing.enabled()) {
      builder.getRoutes().forEach(route -> route.addHandler(new RouteSpanName(route)));
    }
  }

  /**
   * For the routes outside the contract (probes, metrics, docs): names the span by the matched route's path when the
   * response starts ({@code GET /health/ready}); a path no route matched keeps the method alone, so a scanner's
   * paths never become span names. Added first to the root router, when tracing is on.
   */
  public static void addFallbackTo(Router root, Tracing tracing) {
    if (tracing.enabled()) {
      root.route().handler(RouteSpanName::nameByPathAtResponse);
    }
  }

  private static void nameByPathAtResponse(RoutingContext rc) {
    Span span = Span.current();
    if (span.isRecording()) {
      rc.addHeadersEndHandler(v -> {
        Route route = rc.currentRoute();
        if (rc.get(NAMED) == null && route != null && route.getPath() != null) {
          span.updateName(rc.request().method().name() + " " + route.getPath());
          span.setAttribute("http.route", route.getPath());
        }
      });
    }
    rc.next();
  }

  @Override
  public void handle(RoutingContext rc) {
    Span span = Span.current();
    if (span.isRecording()) {
      rc.put(NAMED, Boolean.TRUE);
      span.updateName(name);
      span.setAttribute("http.route", route);
      Caller caller = rc.get(Caller.KEY);
      if (caller != null && caller.memberId() != null) {
        span.setAttribute("enduser.id", caller.memberId());
      }
    }
    rc.next();
  }
}
