package cron;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;

/**
 * The scheduler loop of one node whose scheduler is enabled (a node with it disabled runs no loop and never
 * touches the lease). The PostgreSQL lease alone says who leads; {@link LeaderElection} only says who goes first.
 * <ul>
 * <li>The leader renews the lease every second and claims due jobs on each tick. It keeps leading while it can
 * renew, even when another node has become the preferred one: a voluntary handover leaves a gap without a leader,
 * and nodes whose views of the membership differ could hand the lease back and forth. A leader that could not
 * renew for a whole lease period knows the lease has expired and becomes a follower.</li>
 * <li>A follower never writes the lease while it is live: it reads how long the lease has left (a read that takes
 * no lock, so the leader's claims never queue behind it) once a second, and again the moment it ends. Once it has
 * expired, the preferred candidate takes it at once; any other follower once it has lain expired for one more
 * second, which leaves the preferred node the first go without every node racing for the row. So a dead leader
 * is replaced within a lease period plus a tick, or plus a second and a tick when the preferred node cannot.</li>
 * </ul>
 * Each claim is one transaction that holds the lease row under this node's epoch, moves the job's next_run from
 * this instant to the following one (a conditional update) and inserts the run (unique per job and instant) and
 * its task message. A node whose epoch was superseded cannot claim. Missed instants (downtime) fire once, late,
 * and the run records how late. Besides claims, the leader runs the {@linkplain #duty duties} registered with it
 * (e.g. sweepers), each fenced the same way.
 * <p>Time is the database's: the following instant and the lateness are computed from the now() read with the
 * due jobs, never from this node's clock, so a node whose clock runs ahead can neither skip instants nor stamp
 * runs late. The node's clock is only compared with it, to warn about skew.
 */
public final class Scheduler {

  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
  private static final int BATCH = 50;
  /** The leader renews this often; a follower reads the lease this often. */
  static final long RENEW_MS = 1000;
  /** How long a follower that is not the preferred candidate leaves an expired lease to the preferred one. */
  static final long DEFERENCE_MS = 1000;
  /** A node clock further than this from the database's is worth a warning (its logs and tokens are off too). */
  static final long SKEW_WARNING_MS = 5000;

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
  private final Clock clock;
  private boolean skewed;
  private Long epoch;
  /** Monotonic times (ms): the last renewal tried and the last that succeeded, while leading. */
  private long renewTriedAt;
  private long renewedAt;
  private boolean holding; // the last renewal succeeded: claims may go on
  /** Monotonic times (ms), while following: the last read of the lease, and when the lease it showed ends. */
  private long lookedAt = Long.MIN_VALUE / 2;
  private long leaseEndsAt = Long.MIN_VALUE / 2;
  private boolean busy;
  private int failures;
  private final LeaderDuties duties = new LeaderDuties();

  public Scheduler(Pool pool, CronRepository repository, LeaderElection election, CronMetrics metrics, String node,
                   int leaseSeconds, Clock clock) {
    this.pool = pool;
    this.repository = repository;
    this.election = election;
    this.metrics = metrics;
    this.node = node;
    this.leaseSeconds = leaseSeconds;
    this.clock = clock;
  }

  /**
   * Registers work the leader does every {@code everyMs} while it holds the lease, in a transaction that holds the
   * lease row under its epoch first (the work's statements run on that transaction's connection). Register before
   * the loop ticks.
   */
  public Scheduler duty(String name, long everyMs, java.util.function.Function<io.vertx.sqlclient.SqlConnection,
      Future<Integer>> work) {
    duties.add(name, everyMs, work);
    return this;
  }

  /** One step of the loop; ticks while a step runs are dropped. */
  public void tick() {
    if (busy) {
      return;
    }
    busy = true;
    Future<Void> step;
    try {
      step = step();
    } catch (RuntimeException e) {
      step = Future.failedFuture(e); // e.g. Hazelcast already shut down: the loop must not stay busy for ever
    }
    step.onComplete(done -> {
      busy = false;
      reportOutcome(done.failed() ? done.cause() : null);
    });
  }

  public Long epoch() {
    return epoch;
  }

  private Future<Void> step() {
    if (epoch != null) {
      return holdLease().compose(leading -> leading ? claimDue().compose(v -> runDuties()) : Future.succeededFuture());
    }
    return follow();
  }

  /** A follower: reads the lease when it is time to, and takes it once it has expired long enough for us. */
  private Future<Void> follow() {
    long deference = election.preferred() ? 0 : DEFERENCE_MS;
    long now = clock();
    if (now < Math.min(lookedAt + RENEW_MS, leaseEndsAt + deference)) {
      return Future.succeededFuture();
    }
    lookedAt = now;
    leaseEndsAt = Long.MAX_VALUE / 2; // until a read succeeds, only the once-a-second cadence applies
    return repository.leaseRemainingMs(pool).compose(remaining -> {
      if (remaining != null && remaining > -deference) {
        leaseEndsAt = clock() + remaining;
        return Future.succeededFuture();
      }
      return take();
    });
  }

  private Future<Void> take() {
    return repository.acquire(pool, node, leaseSeconds).map(lease -> {
      if (lease != null) {
        epoch = lease.epoch();
        renewTriedAt = renewedAt = clock();
        holding = true;
        metrics.acquired(epoch);
        log.info("{} leads the scheduler (lease epoch {}{})", node, epoch,
            election.preferred() ? "" : "; the preferred node did not take it");
      }
      return null;
    });
  }

  /** The leader: renews once a second; answers whether it may claim now. */
  private Future<Boolean> holdLease() {
    long now = clock();
    if (now - renewedAt >= leaseSeconds * 1000L) {
      // not renewed for a whole lease: it has expired in the database whatever happens to our last request
      lost("not renewed for " + leaseSeconds + " s");
      return Future.succeededFuture(false);
    }
    if (now - renewTriedAt < RENEW_MS) {
      return Future.succeededFuture(holding);
    }
    renewTriedAt = now;
    holding = false;
    return repository.renew(pool, node, epoch, leaseSeconds).map(renewed -> {
      if (renewed) {
        renewedAt = clock();
        holding = true;
      } else {
        lost("taken over or expired");
      }
      return renewed;
    });
  }

  private Future<Void> claimDue() {
    return repository.due(pool, BATCH).compose(due -> {
      if (due.now() != null) {
        compareClocks(due.now());
      }
      Future<Void> chain = Future.succeededFuture();
      for (CronJob job : due.jobs()) {
        chain = chain.compose(v -> epoch == null ? Future.succeededFuture() : claim(job, due.now()));
      }
      return chain;
    });
  }

  /** One warning when this node's clock drifts from the database's, one line when it is back. */
  private void compareClocks(Instant databaseNow) {
    long skewMs = clock.millis() - databaseNow.toEpochMilli();
    if (Math.abs(skewMs) > SKEW_WARNING_MS && !skewed) {
      log.warn("{}: this node's clock is {} ms {} the database's; the scheduler goes by the database's", node,
          Math.abs(skewMs), skewMs > 0 ? "ahead of" : "behind");
    } else if (Math.abs(skewMs) <= SKEW_WARNING_MS && skewed) {
      log.info("{}: this node's clock agrees with the database's again", node);
    }
    skewed = Math.abs(skewMs) > SKEW_WARNING_MS;
  }

  /** Claims one due job's current instant; {@code now} is the database's, read with the due jobs. */
  private Future<Void> claim(CronJob job, Instant now) {
    long claimEpoch = epoch;
    Instant current = job.nextRun().toInstant();
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
    // one trace per claim: its statements, and through the outbox row the task run it queues
    return tracing.Spans.newTrace("cron claim " + job.taskName(), () -> pool.withTransaction(tx -> repository.holdLease(tx, node, claimEpoch)
            .compose(held -> held ? repository.advance(tx, job.id(), current, next) : Future.failedFuture(new FencedOut()))
            .compose(advanced -> !advanced ? Future.succeededFuture()
                : repository.insertRun(tx, job.id(), current, "schedule", node, claimEpoch, latenessMs)
                    .compose(run -> run == null ? Future.succeededFuture()
                        : repository.enqueue(tx, run, job.taskName(), job.payload(), 0)))))
        .onSuccess(v -> metrics.claimed(latenessMs))
        .recover(error -> {
          if (error instanceof FencedOut) {
            metrics.fenced();
            log.warn("{}: claim of job {} for {} refused: lease epoch {} is no longer ours", node, job.id(), current,
                claimEpoch);
            lost("fenced out");
            return Future.succeededFuture();
          }
          return Future.failedFuture(error);
        });
  }

  private Future<Void> runDuties() {
    Long held = epoch;
    if (held == null) {
      return Future.succeededFuture();
    }
    return duties.runDue(pool, repository, node, held, clock()).recover(error -> {
      if (error instanceof FencedOut) {
        metrics.fenced();
        lost("fenced out");
        return Future.succeededFuture();
      }
      return Future.failedFuture(error);
    });
  }

  private void lost(String why) {
    if (epoch != null) {
      log.warn("{} lost the scheduler lease (epoch {}): {}", node, epoch, why);
    }
    epoch = null;
    metrics.stepped();
  }

  /** One warning when steps start failing (the database is down), one line when they work again. */
  private void reportOutcome(Throwable error) {
    if (error != null) {
      if (failures++ == 0) {
        log.warn("scheduler step failed: {} (retrying; further failures are not logged until one succeeds)",
            error.getMessage());
      }
    } else if (failures > 0) {
      log.info("scheduler steps succeed again after {} failure(s)", failures);
      failures = 0;
    }
  }

  private static long clock() {
    return System.nanoTime() / 1_000_000;
  }

  /** Stopping: give the lease back, so that the next leader need not wait for it to expire. */
  public Future<Void> resign() {
    if (epoch == null) {
      return Future.succeededFuture();
    }
    long e = epoch;
    epoch = null;
    metrics.stepped();
    log.info("{} steps down as scheduler leader (epoch {})", node, e);
    return repository.release(pool, node, e);
  }
}
