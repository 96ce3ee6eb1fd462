package ratelimit;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;

/**
 * The state of one caller's token bucket and its arithmetic, with no clock of its own: the local store and the
 * cluster's entry processor share it, so both count the same way.
 */
public final class Bucket implements DataSerializable {

  private double tokens;
  private long updatedMillis;

  /** For Hazelcast's deserialization (backups, migrations). */
  public Bucket() {
  }

  Bucket(int limit, long nowMillis) {
    this.tokens = limit;
    this.updatedMillis = nowMillis;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeDouble(tokens);
    out.writeLong(updatedMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    tokens = in.readDouble();
    updatedMillis = in.readLong();
  }

  /** Takes up to {@code wanted} whole tokens; returns how many it got (0 when empty). */
  int take(int wanted, int limit, int windowSeconds, long nowMillis) {
    refill(limit, windowSeconds, nowMillis);
    int granted = (int) Math.min(wanted, Math.floor(tokens));
    tokens -= granted;
    return granted;
  }

  long remaining() {
    return (long) Math.floor(tokens);
  }

  /** Seconds until the bucket is full again (the RateLimit header's {@code t}). */
  long secondsUntilFull(int limit, int windowSeconds) {
    return (long) Math.ceil((limit - tokens) * windowSeconds / limit);
  }

  /** Seconds until one whole token is back (Retry-After of a refusal), at least 1. */
  long secondsUntilNext(int limit, int windowSeconds) {
    double missing = Math.max(0, 1 - tokens);
    return Math.max(1, (long) Math.ceil(missing * windowSeconds / limit));
  }

  boolean isFull(int limit, int windowSeconds, long nowMillis) {
    refill(limit, windowSeconds, nowMillis);
    return tokens >= limit;
  }

  private void refill(int limit, int windowSeconds, long nowMillis) {
    long elapsed = Math.max(0, nowMillis - updatedMillis);
    tokens = Math.min(limit, tokens + elapsed * (double) limit / (windowSeconds * 1000.0));
    updatedMillis = nowMillis;
  }
}
