package ops;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays between retries of one thing (a reconnect, a relay batch, a probe): exponential from {@code initialMs},
 * capped at {@code maxMs}, with jitter. Each delay is drawn between half and all of its exponential step, so
 * nodes that failed together (a database or broker restart) do not all retry in the same instant, and a delay is
 * never near zero. Not thread-safe: one per retry loop, used from one context.
 */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private int failures;

  public Backoff(long initialMs, long maxMs) {
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new IllegalArgumentException("backoff needs 0 < initialMs <= maxMs, got " + initialMs + ", " + maxMs);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The delay before the next try: doubles per call up to the cap, jittered within [step / 2, step]. */
  public long nextDelayMs() {
    long step = initialMs << Math.min(failures, 30); // 30 doublings already exceed any sensible cap
    if (step <= 0 || step > maxMs) {
      step = maxMs;
    }
    failures++;
    long half = step / 2;
    return half + ThreadLocalRandom.current().nextLong(step - half + 1);
  }

  /** The thing worked: the next failure starts again from {@code initialMs}. */
  public void reset() {
    failures = 0;
  }
}
