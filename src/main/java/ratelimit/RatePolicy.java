package ratelimit;

/**
 * A token bucket: {@code limit} requests, refilled evenly over {@code windowSeconds} (so a caller may spend the
 * whole quota at once, then goes at {@code limit / windowSeconds} per second). Named as the RateLimit-Policy
 * header names it.
 */
public record RatePolicy(String name, int limit, int windowSeconds) {

  public RatePolicy {
    if (limit < 1 || windowSeconds < 1) {
      throw new IllegalArgumentException("rate policy " + name + " needs a limit and a window of at least 1");
    }
  }

  /** Tokens a node reserves from the cluster at once: small next to the quota, so other nodes are barely short. */
  int reservation() {
    return Math.max(1, Math.min(10, limit / 50));
  }

  /** {@code RateLimit-Policy} (Structured Fields list member): the quota and its window. */
  String policyField() {
    return "\"" + name + "\";q=" + limit + ";w=" + windowSeconds;
  }

  /** {@code RateLimit}: what is left, and seconds until the bucket is full again. */
  String stateField(long remaining, long resetSeconds) {
    return "\"" + name + "\";r=" + remaining + ";t=" + resetSeconds;
  }
}
