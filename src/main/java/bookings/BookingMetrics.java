package bookings;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.ConcurrentHashMap;

/** {@code roster_bookings_total{outcome=...}}: confirmed, waitlisted, or the error code that refused it. */
public final class BookingMetrics {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private volatile DistributionSummary batchSize;
  private volatile Timer batchTime;
  private volatile Counter batchFailed;

  public BookingMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One coalesced transaction: how many requests it decided, how long it took, whether it committed. */
  public void batch(int size, long nanos, boolean committed) {
    if (registry == null) {
      return;
    }
    if (batchSize == null) {
      batchSize = DistributionSummary.builder("roster.bookings.batch.size")
          .description("Booking requests decided per coalesced transaction").register(registry);
      batchTime = Timer.builder("roster.bookings.batch.duration")
          .description("Time of a coalesced booking transaction").register(registry);
      batchFailed = Counter.builder("roster.bookings.batch.failed")
          .description("Coalesced transactions that failed, their requests then decided one by one").register(registry);
    }
    batchSize.record(size);
    batchTime.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    if (!committed) {
      batchFailed.increment();
    }
  }

  public void record(String outcome) {
    if (registry == null) {
      return;
    }
    counters.computeIfAbsent(outcome, o -> Counter.builder("roster.bookings")
        .description("Booking requests by outcome")
        .tag("outcome", o)
        .register(registry)).increment();
  }
}
