package notifications;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Whether a worker's database answers. The first failure reported runs {@code onDown} (the worker stops taking
 * messages), then the pool is probed with jittered exponential backoff (0.5 s doubling to 10 s, each wait a random
 * 50-100 % of its step, so the workers of many pods do not probe in step) until a query succeeds; then
 * {@code onUp} runs (the worker consumes again) and every caller waiting on {@link #failed} goes on. Not thread
 * safe: call it on the owner's context.
 */
public final class DatabaseRecovery {

  private static final Logger log = LoggerFactory.getLogger(DatabaseRecovery.class);
  private static final long FIRST_STEP_MS = 500;
  private static final long MAX_STEP_MS = 10_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Runnable onDown;
  private final Runnable onUp;
  /** Completed when the database answers again; null while it is taken to be up. */
  private Promise<Void> back;
  private long stepMs;
  private int probes;
  private boolean closed;

  public DatabaseRecovery(Vertx vertx, Pool pool, Runnable onDown, Runnable onUp) {
    this.vertx = vertx;
    this.pool = pool;
    this.onDown = onDown;
    this.onUp = onUp;
  }

  public boolean isDown() {
    return back != null;
  }

  /** Reports that the database failed a call; the future completes once it answers again (fails on close). */
  public Future<Void> failed(Throwable cause) {
    if (closed) {
      return Future.failedFuture(cause);
    }
    if (back == null) {
      back = Promise.promise();
      stepMs = FIRST_STEP_MS;
      probes = 0;
      log.warn("the database failed a delivery step ({}); not consuming until it answers again", cause.getMessage());
      onDown.run();
      probeLater();
    }
    return back.future();
  }

  private void probeLater() {
    long waitMs = stepMs / 2 + ThreadLocalRandom.current().nextLong(stepMs / 2 + 1);
    stepMs = Math.min(stepMs * 2, MAX_STEP_MS);
    vertx.setTimer(waitMs, t -> probe());
  }

  private void probe() {
    if (closed) {
      return;
    }
    probes++;
    pool.query("SELECT 1").execute().onComplete(answer -> {
      if (closed) {
        return;
      }
      if (answer.failed()) {
        probeLater();
        return;
      }
      Promise<Void> waiting = back;
      back = null;
      log.info("the database answers again (after {} probe(s)); consuming again", probes);
      onUp.run();
      waiting.complete();
    });
  }

  /** Stops probing; callers still waiting fail (the worker is stopping, the broker redelivers their messages). */
  public void close() {
    closed = true;
    if (back != null) {
      back.tryFail("the worker is stopping");
      back = null;
    }
  }
}
