package cron;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Periodic work only the scheduler leader does (sweepers that re-queue what was lost), each under its name and
 * with its own interval. Each run is one transaction that first holds the lease row under the leader's epoch, as
 * a claim does ({@link CronRepository#holdLease}), so a deposed or paused leader's duty writes nothing. A duty
 * returns how many rows it handled; a failing duty is logged and tried again at its next interval, and does not
 * stop the others.
 */
final class LeaderDuties {

  private static final Logger log = LoggerFactory.getLogger(LeaderDuties.class);

  private static final class Duty {
    final String name;
    final long everyMs;
    final Function<SqlConnection, Future<Integer>> work;
    long lastRunAt = Long.MIN_VALUE / 2;
    boolean failing;

    Duty(String name, long everyMs, Function<SqlConnection, Future<Integer>> work) {
      this.name = name;
      this.everyMs = everyMs;
      this.work = work;
    }
  }

  private final List<Duty> duties = new ArrayList<>();

  void add(String name, long everyMs, Function<SqlConnection, Future<Integer>> work) {
    if (everyMs <= 0) {
      throw new IllegalArgumentException("the interval of duty " + name + " must be positive, got " + everyMs);
    }
    duties.add(new Duty(name, everyMs, work));
  }

  /**
   * Runs, one after the other, the duties whose interval has passed ({@code nowMs} is a monotonic clock).
   * Fails with {@link Scheduler.FencedOut} when the lease is no longer ours under {@code epoch}.
   */
  Future<Void> runDue(Pool pool, CronRepository repository, String node, long epoch, long nowMs) {
    Future<Void> chain = Future.succeededFuture();
    for (Duty duty : duties) {
      if (nowMs - duty.lastRunAt < duty.everyMs) {
        continue;
      }
      duty.lastRunAt = nowMs;
      chain = chain.compose(v -> run(pool, repository, node, epoch, duty));
    }
    return chain;
  }

  private Future<Void> run(Pool pool, CronRepository repository, String node, long epoch, Duty duty) {
    return pool.withTransaction(tx -> repository.holdLease(tx, node, epoch)
            .compose(held -> held ? duty.work.apply(tx) : Future.<Integer>failedFuture(new Scheduler.FencedOut())))
        .map(count -> {
          if (duty.failing) {
            log.info("leader duty {} works again", duty.name);
            duty.failing = false;
          }
          if (count != null && count > 0) {
            log.info("leader duty {}: {} row(s)", duty.name, count);
          }
          return (Void) null;
        })
        .recover(error -> {
          if (error instanceof Scheduler.FencedOut) {
            return Future.failedFuture(error);
          }
          if (!duty.failing) {
            log.warn("leader duty {} failed: {} (tried again every {} ms)", duty.name, error.getMessage(), duty.everyMs);
            duty.failing = true;
          }
          return Future.succeededFuture();
        });
  }
}
