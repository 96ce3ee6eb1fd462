package ops;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays between retries: exponential from {@code initialMs}, capped at {@code maxMs}, with "equal jitter" (each
 * delay is drawn between half the exponential step and the step). Without jitter every client of a broker node
 * that goes away retries at the same instants and they all land together on the node that is left; the half that
 * is not random keeps a client from retrying almost at once over and over. Not thread-safe: one per retry loop.
 */
public final class Backoff {

  private final long initialMs;
  private final long maxMs;
  private long stepMs;

  public Backoff(long initialMs, long maxMs) {
    if (initialMs <= 0 || maxMs < initialMs) {
      throw new IllegalArgumentException("backoff needs 0 < initialMs <= maxMs, got " + initialMs + ", " + maxMs);
    }
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.stepMs = initialMs;
  }

  /** The delay before the next retry: in [step/2, step], the step doubling each call up to maxMs. */
  public long nextDelayMs() {
    long step = stepMs;
    stepMs = Math.min(maxMs, step * 2); // step <= maxMs, so no overflow before the cap
    long half = step / 2;
    return half + ThreadLocalRandom.current().nextLong(step - half + 1);
  }

  /** After a success: the next failure starts again from initialMs. */
  public void reset() {
    stepMs = initialMs;
  }
}
