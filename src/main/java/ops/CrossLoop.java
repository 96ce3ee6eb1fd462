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

  public static void count(String at) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry != null) {
      Counter.builder("roster.cross.loop.continuations")
          .description("Continuations that arrived on another event loop and were re-dispatched to their own")
          .tag("at", at).register(registry).increment();
    }
  }
}
