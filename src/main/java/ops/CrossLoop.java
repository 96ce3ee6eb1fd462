package ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * {@code roster_cross_loop_continuations_total{at=...}}: continuations that arrived on an event loop other than
 * their request's (or their component's) and had to be sent back. Each verticle's pools and booking coalescer
 * belong to its own loop; a non-zero count means a shared component handed a future back on the wrong loop.
 */
public final class CrossLoop {

  private CrossLoop() {
  }

  public static final String AUTHENTICATION = "authentication";
  public static final String BOOKING_COALESCER = "booking_coalescer";

  /** Shows every series at 0 from the start, so a dashboard (or a test) can tell "none" from "not measured". */
  public static void register() {
    counter(AUTHENTICATION);
    counter(BOOKING_COALESCER);
  }

  public static void count(String at) {
    Counter counter = counter(at);
    if (counter != null) {
      counter.increment();
    }
  }

  private static Counter counter(String at) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return registry == null ? null : Counter.builder("roster.cross.loop.continuations")
        .description("Continuations that arrived on another event loop and were re-dispatched to their own")
        .tag("at", at).register(registry);
  }
}
