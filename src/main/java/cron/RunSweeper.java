package cron;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader duty: finds runs that sit {@code running} or {@code retrying} more than a grace past their lease (their
 * worker died mid-run, or their retry message was lost on the way) and queues each again through the outbox,
 * as the scheduler's claim does. Each such run's lease moves to now, so it is queued again at most once per grace.
 * Safe against a run that in fact finished or is being run: the task worker's start finds it ended (and only
 * acknowledges the message) or held by a live worker.
 */
public final class RunSweeper {

  private static final Logger log = LoggerFactory.getLogger(RunSweeper.class);
  /** Runs queued again per sweep at most; more wait for the next sweep. */
  static final int BATCH = 100;

  private final CronRepository repository;
  private final CronMetrics metrics;
  private final long graceMs;

  public RunSweeper(CronRepository repository, CronMetrics metrics, long graceMs) {
    this.repository = repository;
    this.metrics = metrics;
    this.graceMs = graceMs;
  }

  /**
   * One sweep. Taking the runs is one statement; a sweep cut off before it has queued them all leaves those runs
   * for the sweep after the grace (their lease moved, their message not written).
   * @return how many runs it queued again
   */
  public Future<Integer> sweep(SqlConnection conn) {
    return repository.takeStuckRuns(conn, graceMs, BATCH).compose(runs -> {
      Future<Integer> queued = Future.succeededFuture(0);
      for (CronRepository.RunnableRun run : runs) {
        queued = queued.compose(n -> repository.requeue(conn, run).map(n + 1));
      }
      return queued;
    }).onSuccess(n -> {
      if (n > 0) {
        metrics.republished(n);
        log.warn("run sweeper: {} run(s) stuck more than {} ms past their lease were queued again", n, graceMs);
      }
    });
  }
}
