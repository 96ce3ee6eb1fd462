package ratelimit;

import com.hazelcast.map.EntryProcessor;

import java.util.Map;

/**
 * Runs on the Hazelcast member that owns a caller's bucket: refills it by that member's clock, takes what it can,
 * and answers {@code [granted, remaining, secondsUntilFull, secondsUntilNext]}. One atomic step per key, so the
 * nodes of a cluster never spend the same token twice.
 */
final class TakeTokens implements EntryProcessor<String, Bucket, long[]> {

  private static final long serialVersionUID = 1L;

  private final int wanted;
  private final int limit;
  private final int windowSeconds;

  TakeTokens(int wanted, int limit, int windowSeconds) {
    this.wanted = wanted;
    this.limit = limit;
    this.windowSeconds = windowSeconds;
  }

  @Override
  public long[] process(Map.Entry<String, Bucket> entry) {
    long now = System.currentTimeMillis();
    Bucket bucket = entry.getValue() == null ? new Bucket(limit, now) : entry.getValue();
    int granted = bucket.take(wanted, limit, windowSeconds, now);
    entry.setValue(bucket);
    return new long[] {granted, bucket.remaining(), bucket.secondsUntilFull(limit, windowSeconds),
        bucket.secondsUntilNext(limit, windowSeconds)};
  }
}
