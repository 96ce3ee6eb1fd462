package ratelimit;

import io.vertx.core.Future;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Buckets in this process (a node that is not clustered). Shared by the node's HTTP verticles, hence a concurrent
 * map and a lock per bucket; each step is a few arithmetic operations.
 */
public final class LocalBuckets implements BucketStore {

  /** Past this many buckets, the full ones (callers idle for a whole window) are dropped, at most once a second. */
  private static final int SWEEP_ABOVE = 100_000;
  /** Still past this after a sweep, all are forgotten (fresh quotas for everyone): memory stays bounded. */
  private static final int FORGET_ABOVE = 1_000_000;

  private final ConcurrentHashMap<String, Entry> buckets = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep = new AtomicLong();

  private record Entry(RatePolicy policy, Bucket bucket) {
  }

  @Override
  public Future<Decision> take(String key, RatePolicy policy) {
    return Future.succeededFuture(takeNow(key, policy));
  }

  Decision takeNow(String key, RatePolicy policy) {
    long now = System.currentTimeMillis();
    long last = lastSweep.get();
    if (buckets.size() > SWEEP_ABOVE && now - last > 1000 && lastSweep.compareAndSet(last, now)) {
      sweep(now);
    }
    Bucket bucket = buckets.computeIfAbsent(policy.name() + " " + key,
        k -> new Entry(policy, new Bucket(policy.limit(), now))).bucket();
    synchronized (bucket) {
      return Decision.of(policy, bucket.take(1, policy.limit(), policy.windowSeconds(), now), bucket);
    }
  }

  @Override
  public Decision peek(String key, RatePolicy policy) {
    Entry entry = buckets.get(policy.name() + " " + key);
    if (entry == null) {
      return new Decision(policy, true, policy.limit(), 0, 0);
    }
    Bucket bucket = entry.bucket();
    synchronized (bucket) {
      bucket.take(0, policy.limit(), policy.windowSeconds(), System.currentTimeMillis());
      boolean left = bucket.remaining() >= 1;
      return new Decision(policy, left, bucket.remaining(), bucket.secondsUntilFull(policy.limit(),
          policy.windowSeconds()), left ? 0 : bucket.secondsUntilNext(policy.limit(), policy.windowSeconds()));
    }
  }

  private void sweep(long now) {
    buckets.values().removeIf(e -> {
      synchronized (e.bucket()) {
        return e.bucket().isFull(e.policy().limit(), e.policy().windowSeconds(), now);
      }
    });
    if (buckets.size() > FORGET_ABOVE) {
      buckets.clear();
    }
  }
}
