package bookings;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import web.ApiError;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * Group commit for bookings. On a hot event every per-request transaction queues on the event's row lock
 * and waits for the previous commit; here, requests that arrive together (for one event or many) are
 * decided in one transaction and one commit ({@link BookingBatch}). A batch leaves as soon as a slot is
 * free, so an idle service adds no delay; under load, requests gather while earlier batches commit (or for
 * {@code windowMs}, when set), up to {@code maxBatch}. If a batch's transaction fails, each of its requests
 * is retried alone, so one bad request never fails its batch-mates.
 *
 * <p>Bounded: at most {@code queueMax} requests wait for a batch, and none waits longer than {@code queueTimeoutMs};
 * beyond either, the request is refused with 503 {@code overloaded} while the client still listens. A request
 * already in a transaction is left to finish (the database decides it; the statement timeout bounds it).
 *
 * <p>Not thread-safe: it lives on its verticle's event loop. A call from another thread (a continuation that
 * strayed onto another loop) is counted and re-dispatched onto the coalescer's loop, its answer back on the
 * caller's context.
 */
public final class BookingCoalescer {

  private static final Logger log = LoggerFactory.getLogger(BookingCoalescer.class);

  private record Pending(BookingBatch.Request request, Promise<Booking> promise, long deadline, long queuedAtNanos) {
  }

  /** Seconds a refused client should wait before trying again: about one batch round on a busy database. */
  static final int RETRY_AFTER_SECONDS = 1;

  private final Vertx vertx;
  private final Pool pool;
  private final BiFunction<UUID, UUID, Future<Booking>> alone;
  private final int maxBatch;
  private final long windowMs;
  private final int maxConcurrent;
  private final BookingMetrics metrics;
  private final ContextInternal context;
  private final int queueMax;
  private final long queueTimeoutMs;
  /** Oldest first: deadlines grow along the queue, so expired requests are always at its head. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long expiryTimer = -1;
  private int running;
  private long timer = -1;
  /** Waiting for the coalescer to be idle (nothing pending, no batch running): see {@link #drain}. */
  private final List<Promise<Void>> idle = new ArrayList<>();

  /**
   * Must be created on the event loop it will serve (a verticle's start).
   *
   * @param alone the one-request transaction, for requests whose batch failed
   * @param windowMs 0: leave as soon as a slot is free; more: wait up to this long for batch-mates
   * @param queueMax requests that may wait for a batch; more are refused at once
   * @param queueTimeoutMs how long a request may wait for a batch before it is refused
   */
  public BookingCoalescer(Vertx vertx, Pool pool, BiFunction<UUID, UUID, Future<Booking>> alone, int maxBatch,
                          long windowMs, int maxConcurrent, int queueMax, long queueTimeoutMs, BookingMetrics metrics) {
    Context current = Vertx.currentContext();
    this.context = (ContextInternal) (current != null ? current : vertx.getOrCreateContext());
    this.queueMax = Math.max(1, queueMax);
    this.queueTimeoutMs = Math.max(1, queueTimeoutMs);
    this.metrics = metrics;
    this.vertx = vertx;
    this.pool = pool;
    this.alone = alone;
    this.maxBatch = Math.max(1, maxBatch);
    this.windowMs = Math.max(0, windowMs);
    this.maxConcurrent = Math.max(1, maxConcurrent);
  }

  public Future<Booking> book(UUID eventId, UUID memberId) {
    return book(eventId, memberId, tracing.TraceStamp.current());
  }

  /** @param trace the requester's trace context, taken on its own context (a redispatch runs on ours) */
  private Future<Booking> book(UUID eventId, UUID memberId, tracing.TraceStamp trace) {
    if (!context.nettyEventLoop().inEventLoop()) {
      return redispatched(eventId, memberId, trace);
    }
    if (pending.size() >= queueMax) {
      return Future.failedFuture(overloaded());
    }
    // bound to the requester's context: the batch's callback runs on the context of whoever started the batch, and
    // each answer must go on in its own request's (its request id in the log lines, its trace)
    Promise<Booking> promise = Vertx.currentContext() instanceof ContextInternal own ? own.promise() : Promise.promise();
    pending.add(new Pending(new BookingBatch.Request(eventId, memberId, trace), promise, now() + queueTimeoutMs,
        System.nanoTime()));
    metrics.queued(1);
    armExpiry();
    if (pending.size() >= maxBatch) {
      flush();
    } else if (windowMs == 0) {
      if (running < maxConcurrent) {
        flush();
      }
    } else if (timer == -1) {
      timer = vertx.setTimer(windowMs, t -> {
        timer = -1;
        flush();
      });
    }
    return promise.future();
  }

  /** Runs the call on the coalescer's loop and answers on the caller's context. */
  private Future<Booking> redispatched(UUID eventId, UUID memberId, tracing.TraceStamp trace) {
    ops.CrossLoop.count(ops.CrossLoop.BOOKING_COALESCER);
    Context caller = Vertx.currentContext();
    Promise<Booking> answer = caller instanceof ContextInternal own ? own.promise() : Promise.promise();
    context.runOnContext(v -> book(eventId, memberId, trace).onComplete(answer));
    return answer.future();
  }

  private static ApiError overloaded() {
    return ApiError.overloaded("Too many bookings are waiting; try again shortly.", RETRY_AFTER_SECONDS);
  }

  private ApiError waitedTooLong() {
    return ApiError.overloaded("The booking waited " + queueTimeoutMs + " ms for the database; try again shortly.",
        RETRY_AFTER_SECONDS);
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  /** One timer for the whole queue, set for its oldest request's deadline. */
  private void armExpiry() {
    if (expiryTimer != -1 || pending.isEmpty()) {
      return;
    }
    long delay = Math.max(1, pending.peekFirst().deadline() - now());
    expiryTimer = vertx.setTimer(delay, t -> {
      expiryTimer = -1;
      expire();
      armExpiry();
    });
  }

  private void expire() {
    long now = now();
    int refused = 0;
    while (!pending.isEmpty() && pending.peekFirst().deadline() <= now) {
      pending.pollFirst().promise().tryFail(waitedTooLong());
      refused++;
    }
    if (refused > 0) {
      metrics.queued(-refused);
      log.warn("refused {} booking request(s) that waited {} ms for a batch", refused, queueTimeoutMs);
      completeIdleWaiters();
    }
  }

  private void completeIdleWaiters() {
    if (!idle.isEmpty() && pending.isEmpty() && running == 0) {
      idle.forEach(Promise::tryComplete);
      idle.clear();
    }
  }

  /**
   * Completes once no request waits and no batch runs, so the pool may close under nothing (a stopping node
   * calls it after its HTTP server has drained). Requests waiting for a window leave at once. Gives up after
   * {@code timeoutMs}, with a warning naming what was left.
   */
  public Future<Void> drain(long timeoutMs) {
    if (pending.isEmpty() && running == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    idle.add(done);
    while (!pending.isEmpty() && running < maxConcurrent) {
      flush();
    }
    long deadline = vertx.setTimer(Math.max(1, timeoutMs), t -> {
      if (done.tryComplete()) {
        log.warn("stopping with {} booking request(s) waiting and {} batch(es) running", pending.size(), running);
      }
    });
    return done.future().onComplete(v -> vertx.cancelTimer(deadline));
  }

  private void flush() {
    if (pending.isEmpty() || running >= maxConcurrent) {
      return;
    }
    if (timer != -1) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    List<Pending> batch = new ArrayList<>(Math.min(maxBatch, pending.size()));
    long leftAt = System.nanoTime();
    while (!pending.isEmpty() && batch.size() < maxBatch) {
      Pending next = pending.pollFirst();
      metrics.waited(leftAt - next.queuedAtNanos());
      batch.add(next);
    }
    metrics.queued(-batch.size());
    if (pending.isEmpty() && expiryTimer != -1) {
      vertx.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    running++;
    decide(batch).onComplete(done -> {
      running--;
      if (!idle.isEmpty()) { // draining: no window to wait for
        flush();
        completeIdleWaiters();
      } else if (!pending.isEmpty() && (windowMs == 0 || pending.size() >= maxBatch)) {
        flush();
      } else if (!pending.isEmpty() && timer == -1) {
        timer = vertx.setTimer(windowMs, t -> {
          timer = -1;
          flush();
        });
      }
    });
  }

  private Future<Void> decide(List<Pending> batch) {
    List<BookingBatch.Request> requests = batch.stream().map(Pending::request).toList();
    long started = System.nanoTime();
    return tracing.Spans.batch("booking batch", requests.stream().map(BookingBatch.Request::trace).toList(),
            () -> BookingBatch.run(pool, requests))
        .onComplete(done -> metrics.batch(batch.size(), System.nanoTime() - started, done.succeeded()))
        .map(decided -> {
          List<BookingBatch.Outcome> outcomes = decided.outcomes();
          for (int i = 0; i < batch.size(); i++) {
            BookingBatch.Outcome outcome = outcomes.get(i);
            if (outcome.error() != null) {
              batch.get(i).promise().fail(outcome.error());
            } else {
              batch.get(i).promise().complete(outcome.booking());
            }
          }
          return (Void) null;
        })
        .recover(error -> {
          // e.g. a duplicate from another node raced us: decide each request on its own
          log.warn("batch of {} failed ({}); deciding its requests one by one", batch.size(), error.getMessage());
          List<Future<Booking>> each = new ArrayList<>();
          for (Pending p : batch) {
            Future<Booking> result = alone.apply(p.request().eventId(), p.request().memberId());
            result.onComplete(p.promise());
            each.add(result);
          }
          return Future.join(each).mapEmpty();
        });
  }
}
