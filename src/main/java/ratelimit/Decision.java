package ratelimit;

/** The answer for one request: allowed or not, and what the RateLimit header tells the caller. */
public record Decision(RatePolicy policy, boolean allowed, long remaining, long resetSeconds, long retryAfterSeconds) {

  static Decision of(RatePolicy policy, int granted, Bucket bucket) {
    return new Decision(policy, granted > 0, bucket.remaining(),
        bucket.secondsUntilFull(policy.limit(), policy.windowSeconds()),
        granted > 0 ? 0 : bucket.secondsUntilNext(policy.limit(), policy.windowSeconds()));
  }
}
