package cron;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;

/**
 * The scheduler loop of one node. When election says this node should lead, it takes or renews the PostgreSQL
 * lease; while it holds the lease it claims due jobs. Each claim is one transaction that holds the lease row
 * under this node's epoch, moves the job's next_run from this instant to the following one (a conditional
 * update) and inserts the run (unique per job and instant) and its task message. A node whose epoch was
 * superseded cannot claim. Missed instants (downtime) fire once, late, and the run records how late.
 */
public final class Scheduler {

  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
  private static final int BATCH = 50;

  /** The claim was refused: our lease is gone. */
  static final class FencedOut extends RuntimeException {
    FencedOut() {
      super("lease epoch superseded", null, false, false);
    }
  }

  private final Pool pool;
  private final CronRepository repository;
  private final LeaderElection election;
  private final CronMetrics metrics;
  private final String node;
  private final int leaseSeconds;
  private Long epoch;
  private long renewedAt;
  private boolean busy;

  public Scheduler(Pool pool, CronRepository repository, LeaderElection election, CronMetrics metrics, String node,
                   int leaseSeconds) {
    this.pool = pool;
    this.repository = repository;
    this.election = election;
    this.metrics = metrics;
    this.node = node;
    this.leaseSeconds = leaseSeconds;
  }

  /** One step of the loop; ticks while a step runs are dropped. */
  public void tick() {
    if (busy) {
      return;
    }
    busy = true;
    step().onComplete(done -> {
      busy = false;
      if (done.failed()) {
        log.warn("scheduler step failed: {}", done.cause().getMessage());
      }
    });
  }

  public Long epoch() {
    return epoch;
  }

  private Future<Void> step() {
    if (!election.candidate()) {
      return resign();
    }
    return holdLease().compose(leading -> leading ? claimDue() : Future.succeededFuture());
  }

  private Future<Boolean> holdLease() {
    if (epoch == null) {
      return repository.acquire(pool, node, leaseSeconds).map(lease -> {
        if (lease != null) {
          epoch = lease.epoch();
          renewedAt = System.currentTimeMillis();
          metrics.leader(true);
          log.info("{} leads the scheduler (lease epoch {})", node, epoch);
        }
        return epoch != null;
      });
    }
    if (System.currentTimeMillis() - renewedAt < 1000) {
      return Future.succeededFuture(true);
    }
    return repository.renew(pool, node, epoch, leaseSeconds).map(renewed -> {
      if (renewed) {
        renewedAt = System.currentTimeMillis();
      } else {
        lost();
      }
      return renewed;
    });
  }

  private Future<Void> claimDue() {
    return repository.due(pool, BATCH).compose(jobs -> {
      Future<Void> chain = Future.succeededFuture();
      for (CronJob job : jobs) {
        chain = chain.compose(v -> epoch == null ? Future.succeededFuture() : claim(job));
      }
      return chain;
    });
  }

  private Future<Void> claim(CronJob job) {
    long claimEpoch = epoch;
    Instant current = job.nextRun().toInstant();
    Instant now = Instant.now();
    Instant following;
    try {
      following = CronSchedule.parse(job.cronExpression(), job.timezone())
          .next(now.isAfter(current) ? now : current).orElse(null);
    } catch (CronSchedule.Invalid e) {
      log.error("job {} has an invalid schedule ({}); it will not run", job.id(), e.getMessage());
      following = null;
    }
    Instant next = following;
    long latenessMs = Math.max(0, now.toEpochMilli() - current.toEpochMilli());
    return pool.withTransaction(tx -> repository.holdLease(tx, node, claimEpoch)
            .compose(held -> held ? repository.advance(tx, job.id(), current, next) : Future.failedFuture(new FencedOut()))
            .compose(advanced -> !advanced ? Future.succeededFuture()
                : repository.insertRun(tx, job.id(), current, "schedule", node, claimEpoch, latenessMs)
                    .compose(run -> run == null ? Future.succeededFuture()
                        : repository.enqueue(tx, run, job.taskName(), job.payload(), 0))))
        .onSuccess(v -> metrics.claimed(latenessMs))
        .recover(error -> {
          if (error instanceof FencedOut) {
            metrics.fenced();
            log.warn("{}: claim of job {} for {} refused: lease epoch {} is no longer ours", node, job.id(), current,
                claimEpoch);
            lost();
            return Future.succeededFuture();
          }
          return Future.failedFuture(error);
        });
  }

  private void lost() {
    if (epoch != null) {
      log.warn("{} lost the scheduler lease (epoch {})", node, epoch);
    }
    epoch = null;
    metrics.leader(false);
  }

  /** Not the candidate any more (or stopping): give the lease back so the next leader starts at once. */
  public Future<Void> resign() {
    if (epoch == null) {
      return Future.succeededFuture();
    }
    long e = epoch;
    epoch = null;
    metrics.leader(false);
    log.info("{} steps down as scheduler leader (epoch {})", node, e);
    return repository.release(pool, node, e);
  }


}
