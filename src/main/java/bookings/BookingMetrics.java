package bookings;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import ops.ServiceMeters;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Booking metrics: {@code roster_bookings_total{outcome}} (confirmed, waitlisted, or the error code that refused
 * it) and {@code roster_bookings_duration_seconds{outcome}}, a histogram with fixed buckets; the coalescer's
 * batches (size, duration, failures), its queue length and how long requests wait in it.
 */
public final class BookingMetrics {

  /** One queue-length gauge per registry, summed over the coalescers of the node (one per HTTP verticle). */
  private static final Map<MeterRegistry, AtomicLong> QUEUED = Collections.synchronizedMap(new WeakHashMap<>());

  private final MeterRegistry registry;
  // per outcome, built once: a request then only looks its meters up
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> durations = new ConcurrentHashMap<>();
  private final AtomicLong queued;
  private final DistributionSummary batchSize;
  private final Timer batchTime;
  private final Counter batchFailed;
  private final Timer queueWait;

  public BookingMetrics(MeterRegistry registry) {
    this.registry = registry;
    if (registry == null) {
      queued = new AtomicLong();
      batchSize = null;
      batchTime = null;
      batchFailed = null;
      queueWait = null;
      return;
    }
    queued = QUEUED.computeIfAbsent(registry, r -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("roster.bookings.queue.length", value, AtomicLong::get)
          .description("Booking requests waiting in the coalescers' queues for a batch").register(r);
      return value;
    });
    batchSize = DistributionSummary.builder("roster.bookings.batch.size")
        .description("Booking requests decided per coalesced transaction").register(registry);
    batchTime = Timer.builder("roster.bookings.batch.duration")
        .description("Time of a coalesced booking transaction").register(registry);
    batchFailed = Counter.builder("roster.bookings.batch.failed")
        .description("Coalesced transactions that failed, their requests then decided one by one").register(registry);
    queueWait = Timer.builder("roster.bookings.queue.wait").serviceLevelObjectives(ServiceMeters.LATENCY_BUCKETS)
        .description("How long a booking request waited in the coalescer's queue before its batch began")
        .register(registry);
  }

  /** One coalesced transaction: how many requests it decided, how long it took, whether it committed. */
  public void batch(int size, long nanos, boolean committed) {
    if (registry == null) {
      return;
    }
    batchSize.record(size);
    batchTime.record(nanos, TimeUnit.NANOSECONDS);
    if (!committed) {
      batchFailed.increment();
    }
  }

  /** Requests entered (positive) or left (negative) a coalescer's queue. */
  public void queued(int change) {
    queued.addAndGet(change);
  }

  /** A request left the queue for its batch after waiting this long. */
  public void waited(long nanos) {
    if (queueWait != null) {
      queueWait.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A booking request was answered with this outcome, this long after the service received it. */
  public void record(String outcome, long nanos) {
    if (registry == null) {
      return;
    }
    // a plain get first: computeIfAbsent with a capturing lambda would allocate on every request
    Counter counter = counters.get(outcome);
    if (counter == null) {
      counter = counters.computeIfAbsent(outcome, this::counter);
    }
    counter.increment();
    Timer duration = durations.get(outcome);
    if (duration == null) {
      duration = durations.computeIfAbsent(outcome, this::duration);
    }
    duration.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Counter counter(String outcome) {
    return Counter.builder("roster.bookings").description("Booking requests by outcome")
        .tag("outcome", outcome).register(registry);
  }

  private Timer duration(String outcome) {
    return Timer.builder("roster.bookings.duration").description("Time to decide a booking request, by outcome")
        .serviceLevelObjectives(ServiceMeters.LATENCY_BUCKETS).tag("outcome", outcome).register(registry);
  }
}
