package bookings;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;

/** {@code roster_bookings_total{outcome=...}}: confirmed, waitlisted, or the error code that refused it. */
public final class BookingMetrics {

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  public BookingMetrics(MeterRegistry registry) {
    this.registry = registry;
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
