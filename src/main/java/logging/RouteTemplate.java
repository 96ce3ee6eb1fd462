package logging;

import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;

/**
 * What the access log names a request by: the operation's path in openapi.yaml ({@code /v1/events/{id}}), the
 * path of the route that answered (the ops routes), or, for a request no route matched (or refused before the
 * API router, e.g. 401), its raw path cut to {@link #MAX_RAW} characters.
 */
public final class RouteTemplate {

  static final int MAX_RAW = 100;
  private static final String KEY = "roster.routeTemplate";

  private RouteTemplate() {
  }

  /**
   * Records the operation's path as soon as its route matches: before validation (a 400 carries it too, through
   * the failure handler) and before its handlers.
   */
  public static void recordOn(OpenAPIRoute route) {
    String path = route.getOperation().getOpenAPIPath();
    route.addHandler(rc -> {
      rc.put(KEY, path);
      rc.next();
    });
    route.addFailureHandler(rc -> {
      rc.put(KEY, path);
      rc.next();
    });
  }

  static String of(RoutingContext rc) {
    String recorded = rc.get(KEY);
    if (recorded != null) {
      return recorded;
    }
    Route current = rc.currentRoute();
    if (current != null && current.getPath() != null) {
      return current.getPath();
    }
    return raw(rc.request().path());
  }

  private static String raw(String path) {
    if (path == null) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(path.length(), MAX_RAW + 3));
    for (int i = 0; i < path.length() && i < MAX_RAW; i++) {
      char c = path.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return path.length() > MAX_RAW ? out.append("...").toString() : out.toString();
  }
}
