package tracing;

import auth.Caller;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/**
 * Names the HTTP server span by its operation's route template ({@code POST /v1/bookings}; Vert.x names it by
 * the method alone) with {@code http.route}, and adds the calling member's id as {@code enduser.id} (an id, never
 * an e-mail address). One handler per operation, first after authentication, so the strings are built once.
 */
public final class RouteSpanName implements Handler<RoutingContext> {

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

  @Override
  public void handle(RoutingContext rc) {
    Span span = Span.current();
    if (span.isRecording()) {
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
