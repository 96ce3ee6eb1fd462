package bookings;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * is retried alone, so one bad request never fails its batch-mates. Used on one event loop (per verticle).
 */
public final class BookingCoalescer {

  private static final Logger log = LoggerFactory.getLogger(BookingCoalescer.class);

  private record Pending(BookingBatch.Request request, Promise<Booking> promise) {
  }

  private final Vertx vertx;
  private final Pool pool;
  private final BiFunction<UUID, UUID, Future<Booking>> alone;
  private final int maxBatch;
  private final long windowMs;
  private final int maxConcurrent;
  private final BookingMetrics metrics;
  private List<Pending> pending = new ArrayList<>();
  private int running;
  private long timer = -1;
  /** Waiting for the coalescer to be idle (nothing pending, no batch running): see {@link #drain}. */
  private final List<Promise<Void>> idle = new ArrayList<>();

  /**
   * @param alone the one-request transaction, for requests whose batch failed
   * @param windowMs 0: leave as soon as a slot is free; more: wait up to this long for batch-mates
   */
  public BookingCoalescer(Vertx vertx, Pool pool, BiFunction<UUID, UUID, Future<Booking>> alone, int maxBatch,
                          long windowMs, int maxConcurrent, BookingMetrics metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.pool = pool;
    this.alone = alone;
    this.maxBatch = Math.max(1, maxBatch);
    this.windowMs = Math.max(0, windowMs);
    this.maxConcurrent = Math.max(1, maxConcurrent);
  }

  public Future<Booking> book(UUID eventId, UUID memberId) {
    Promise<Booking> promise = Promise.promise();
    pending.add(new Pending(new BookingBatch.Request(eventId, memberId), promise));
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
    List<Pending> batch = pending.size() <= maxBatch ? pending : new ArrayList<>(pending.subList(0, maxBatch));
    pending = pending.size() <= maxBatch ? new ArrayList<>() : new ArrayList<>(pending.subList(maxBatch, pending.size()));
    running++;
    decide(batch).onComplete(done -> {
      running--;
      if (!idle.isEmpty()) { // draining: no window to wait for
        flush();
        if (pending.isEmpty() && running == 0) {
          idle.forEach(Promise::tryComplete);
          idle.clear();
        }
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
    return pool.withTransaction(tx -> BookingBatch.decide(tx, requests))
        .onComplete(done -> metrics.batch(batch.size(), System.nanoTime() - started, done.succeeded()))
        .map(outcomes -> {
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
