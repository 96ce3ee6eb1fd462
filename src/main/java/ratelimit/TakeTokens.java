package ratelimit;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;

/**
 * Runs on the Hazelcast member that owns a caller's bucket: refills it by that member's clock, takes what it can,
 * and answers {@code [granted, remaining, secondsUntilFull, secondsUntilNext]}. One atomic step per key, so the
 * nodes of a cluster never spend the same token twice.
 */
public final class TakeTokens implements EntryProcessor<String, Bucket, long[]>, DataSerializable {

  private int wanted;
  private int limit;
  private int windowSeconds;

  /** For Hazelcast's deserialization (DataSerializable: a few ints, far cheaper than Java serialization). */
  public TakeTokens() {
  }

  TakeTokens(int wanted, int limit, int windowSeconds) {
    this.wanted = wanted;
    this.limit = limit;
    this.windowSeconds = windowSeconds;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(wanted);
    out.writeInt(limit);
    out.writeInt(windowSeconds);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    wanted = in.readInt();
    limit = in.readInt();
    windowSeconds = in.readInt();
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
