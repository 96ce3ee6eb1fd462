package logging;

import auth.Caller;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One line per HTTP request on the logger {@code roster.access}, written when the response has been sent or the
 * connection closed before that: method, route template (never ids or query strings), status, duration, response
 * bytes, the caller's member id when the token is linked to one, and (from the Vert.x context) the request id.
 * Fields of their own in JSON lines. Successful probes and scrapes are DEBUG: a kubelet and Prometheus call them
 * every few seconds, and an INFO line each would bury the requests.
 */
public final class AccessLog implements Handler<RoutingContext> {

  public static final String LOGGER = "roster.access";
  private static final Logger log = LoggerFactory.getLogger(LOGGER);
  private static final Set<String> ROUTINE = Set.of("/health/live", "/health/ready", "/metrics");

  private final RouteTemplate routes;

  public AccessLog(RouteTemplate routes) {
    this.routes = routes;
  }

  @Override
  public void handle(RoutingContext rc) {
    rc.addEndHandler(new Pending(rc, System.nanoTime()));
    rc.next();
  }

  /** A request whose line is still to be written: one object per request, its own end handler. */
  private final class Pending implements Handler<AsyncResult<Void>> {
    private final RoutingContext rc;
    private final long started;
    private boolean written;

    Pending(RoutingContext rc, long started) {
      this.rc = rc;
      this.started = started;
    }

    @Override
    public void handle(AsyncResult<Void> outcome) {
      if (!written) { // end and close may both report
        written = true;
        write(rc, started, outcome.succeeded());
      }
    }
  }

  private void write(RoutingContext rc, long started, boolean completed) {
    HttpServerResponse response = rc.response();
    int status = response.getStatusCode();
    String route = routes.name(rc);
    boolean routine = completed && status < 300 && ROUTINE.contains(route);
    if (routine ? !log.isDebugEnabled() : !log.isInfoEnabled()) {
      return;
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    long bytes = response.bytesWritten();
    String method = rc.request().method().name();
    Caller caller = rc.get(Caller.KEY);
    String member = caller == null ? null : caller.memberId();
    LoggingEventBuilder line = (routine ? log.atDebug() : log.atInfo())
        .addKeyValue("method", method)
        .addKeyValue("route", route)
        .addKeyValue("status", status)
        .addKeyValue("duration_ms", ms)
        .addKeyValue("bytes", bytes);
    if (member != null) {
      line = line.addKeyValue("member_id", member);
    }
    if (!completed) {
      line = line.addKeyValue("aborted", true);
    }
    line.log(method + " " + route + " " + (completed ? status : status + " closed before the response ended") + " "
        + ms + " ms " + bytes + " B" + (member == null ? "" : " member=" + member));
  }
}
