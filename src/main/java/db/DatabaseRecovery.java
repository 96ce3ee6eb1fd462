package db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import ops.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a consumer's database answers (the notification and task workers). The first failure reported runs
 * {@code onDown} (the consumer stops taking messages), then the pool is pinged with jittered exponential backoff
 * ({@link Backoff}, so the workers of many pods do not probe in step) until it answers; then {@code onUp} runs (it
 * consumes again) and every caller waiting on {@link #failed} goes on. Call it on the owner's context;
 * {@link #isDown} may be read from any thread.
 */
public final class DatabaseRecovery {

  private static final Logger log = LoggerFactory.getLogger(DatabaseRecovery.class);
  /**
   * How long a consumer's database call may stay unanswered before it counts as failed: far beyond any of their
   * statements (PostgreSQL's statement_timeout, 10 s by default) plus the pool's wait for a connection (5 s). A
   * call on a connection that died without the client noticing would otherwise hold its message, and the
   * consumer's prefetch slot, forever.
   */
  public static final long CALL_DEADLINE_MS = 30_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Backoff backoff;
  private final String who;
  private final Runnable onDown;
  private final Runnable onUp;
  /** Completed when the database answers again; null while it is taken to be up. */
  private volatile Promise<Void> back;
  private int probes;
  private boolean closed;

  /** @param who names the consumer in the log lines */
  public DatabaseRecovery(Vertx vertx, Pool pool, Backoff backoff, String who, Runnable onDown, Runnable onUp) {
    this.vertx = vertx;
    this.pool = pool;
    this.backoff = backoff;
    this.who = who;
    this.onDown = onDown;
    this.onUp = onUp;
  }

  /** A database call, failed if it has not answered within {@link #CALL_DEADLINE_MS}. */
  public static <T> Future<T> bounded(Future<T> call) {
    return call.timeout(CALL_DEADLINE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
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
      backoff.reset();
      probes = 0;
      log.warn("{}: the database does not answer ({}); consumers stopped until it does", who, cause.getMessage());
      onDown.run();
      probeLater();
    }
    return back.future();
  }

  private void probeLater() {
    vertx.setTimer(backoff.nextDelayMs(), t -> probe());
  }

  private void probe() {
    if (closed) {
      return;
    }
    probes++;
    Database.ping(pool).onComplete(answer -> {
      if (closed) {
        return;
      }
      if (answer.failed()) {
        probeLater();
        return;
      }
      Promise<Void> waiting = back;
      back = null;
      log.info("{}: the database answers again (after {} probe(s)); consuming again", who, probes);
      onUp.run();
      waiting.complete();
    });
  }

  /** Stops probing; callers still waiting fail (the consumer is stopping, the broker redelivers their messages). */
  public void close() {
    closed = true;
    Promise<Void> waiting = back;
    back = null;
    if (waiting != null) {
      waiting.tryFail("stopping");
    }
  }
}
