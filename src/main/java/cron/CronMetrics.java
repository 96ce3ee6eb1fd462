package cron;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scheduler metrics: runs by task and outcome, run duration, lateness of the last claimed run, leadership (this
 * node leads; the lease epoch it took), fenced claims, runs the sweeper queued again.
 */
public final class CronMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final AtomicLong leader = new AtomicLong();
  private final AtomicLong latenessMs = new AtomicLong();
  private final AtomicLong epoch = new AtomicLong();
  private final Counter fenced;

  public CronMetrics(MeterRegistry registry) {
    this.registry = registry;
    if (registry != null) {
      Gauge.builder("roster.scheduler.leader", leader, AtomicLong::get)
          .description("1 while this node holds the scheduler lease").register(registry);
      Gauge.builder("roster.scheduler.last.run.lateness.seconds", latenessMs, ms -> ms.get() / 1000.0)
          .description("How late the last run this node claimed was").register(registry);
      // kept after the lease is lost: the highest value across nodes is the cluster's current epoch, and its
      // growth over an hour the number of leadership changes
      Gauge.builder("roster.scheduler.lease.epoch", epoch, AtomicLong::get)
          .description("Epoch of the last scheduler lease this node took (0: never led)").register(registry);
      fenced = Counter.builder("roster.scheduler.fenced.claims")
          .description("Claims refused because this node's lease epoch was superseded").register(registry);
    } else {
      fenced = null;
    }
  }

  public void run(String task, String outcome, Duration took) {
    if (registry == null) {
      return;
    }
    counters.computeIfAbsent(task + "|" + outcome, k -> Counter.builder("roster.scheduler.runs")
        .description("Job runs by task and outcome").tag("task", task).tag("outcome", outcome).register(registry))
        .increment();
    if (took != null) {
      timers.computeIfAbsent(task, k -> Timer.builder("roster.scheduler.run.duration").description("Run duration")
          .tag("task", task).register(registry)).record(took);
    }
  }

  /** This node took the lease with this epoch. */
  public void acquired(long leaseEpoch) {
    leader.set(1);
    epoch.set(leaseEpoch);
  }

  /** This node no longer holds the lease. */
  public void stepped() {
    leader.set(0);
  }

  public void claimed(long latenessMs) {
    this.latenessMs.set(latenessMs);
  }

  public void fenced() {
    if (fenced != null) {
      fenced.increment();
    }
  }

  /** roster_scheduler_runs_republished_total: stuck runs the sweeper queued again. */
  public void republished(int runs) {
    if (registry != null && runs > 0) {
      counters.computeIfAbsent("republished", k -> Counter.builder("roster.scheduler.runs.republished")
          .description("Runs found stuck past their lease and queued again by the run sweeper").register(registry))
          .increment(runs);
    }
  }
}
