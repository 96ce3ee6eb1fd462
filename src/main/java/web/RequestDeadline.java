package web;

import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayDeque;

/**
 * Every API request gets an answer within its time budget: when the work is not done by then, 503 with
 * {@code Retry-After}, and whatever the work produces later is dropped ({@link Responses} never writes twice).
 *
 * <p>One sweep per verticle instead of a timer per request: every request has the same budget, so deadlines
 * come in arrival order and a queue holds them; a periodic check every {@link #tickMs} ms (1/20 of the budget, at
 * most 100 ms) refuses the requests due within the next tick, so the answer still comes within the budget (at most
 * one tick before its end), and stops itself when nothing is in flight. A request that ends lets go of its
 * context at once, so a stuck request at the head keeps only small entries alive behind it. Used on its
 * verticle's event loop only.
 */
public final class RequestDeadline implements Handler<RoutingContext> {

  private static final int RETRY_AFTER_SECONDS = 1;

  private final long timeoutMs;
  private final long timeoutNanos;
  private final long tickMs;
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private ContextInternal loop;
  private long sweeper = -1;

  /** A request still to be answered; its end handler, which lets go of the request. */
  private static final class InFlight implements Handler<AsyncResult<Void>> {
    private final long deadlineNanos;
    private final ContextInternal context;
    private RoutingContext rc;

    InFlight(RoutingContext rc, ContextInternal context, long deadlineNanos) {
      this.rc = rc;
      this.context = context;
      this.deadlineNanos = deadlineNanos;
    }

    @Override
    public void handle(AsyncResult<Void> ended) {
      rc = null;
    }
  }

  public RequestDeadline(long timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(1, Math.min(100, timeoutMs / 20));
    // due one tick early: the sweep that finds it due runs before the budget ends
    this.timeoutNanos = Math.max(0, timeoutMs - tickMs) * 1_000_000;
  }

  @Override
  public void handle(RoutingContext rc) {
    ContextInternal context = ContextInternal.current();
    InFlight request = new InFlight(rc, context, System.nanoTime() + timeoutNanos);
    rc.addEndHandler(request);
    inFlight.addLast(request);
    if (sweeper == -1) {
      loop = context.unwrap();
      sweeper = loop.setPeriodic(tickMs, id -> sweep());
    }
    rc.next();
  }

  private void sweep() {
    long now = System.nanoTime();
    InFlight head;
    while ((head = inFlight.peekFirst()) != null && (head.rc == null || head.deadlineNanos - now <= 0)) {
      inFlight.pollFirst();
      RoutingContext rc = head.rc;
      if (rc != null) {
        head.rc = null;
        // on the request's own context, as its other steps: its log lines and span are the request's
        head.context.runOnContext(v -> expire(rc));
      }
    }
    if (inFlight.isEmpty()) {
      // nothing in flight: no timer on an idle (or stopped) server; the next request starts it again
      loop.owner().cancelTimer(sweeper);
      sweeper = -1;
    }
  }

  private void expire(RoutingContext rc) {
    if (!rc.response().ended() && !rc.response().closed() && !rc.failed()) {
      rc.fail(ApiError.timedOut("The request could not be answered within " + timeoutMs + " ms; try again shortly.",
          RETRY_AFTER_SECONDS));
    }
  }
}
