package web;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Every API request gets an answer within its time budget: when the work is not done by then, 503 with
 * {@code Retry-After}, and whatever the work produces later is dropped ({@link Responses} never writes twice).
 */
public final class RequestDeadline implements Handler<RoutingContext> {

  private static final int RETRY_AFTER_SECONDS = 1;

  private final long timeoutMs;

  public RequestDeadline(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  @Override
  public void handle(RoutingContext rc) {
    long timer = rc.vertx().setTimer(timeoutMs, t -> {
      if (!rc.response().ended() && !rc.response().closed() && !rc.failed()) {
        rc.fail(ApiError.timedOut("The request took longer than " + timeoutMs + " ms; try again shortly.",
            RETRY_AFTER_SECONDS));
      }
    });
    rc.addEndHandler(done -> rc.vertx().cancelTimer(timer));
    rc.next();
  }
}
