package ratelimit;

import io.vertx.core.Future;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Buckets in this process (a node that is not clustered). Shared by the node's HTTP verticles, hence concurrent
 * maps and a lock per bucket; each step is a few arithmetic operations. One map per policy, keyed by the caller's
 * key as it comes: no key string is built per request.
 */
public final class LocalBuckets implements BucketStore {

  /** Past this many buckets, the full ones (callers idle for a whole window) are dropped, at most once a second. */
  private static final int SWEEP_ABOVE = 100_000;
  /** Still past this after a sweep, all are forgotten (fresh quotas for everyone): memory stays bounded. */
  private static final int FORGET_ABOVE = 1_000_000;

  /** Policy name → caller key → bucket. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Bucket>> buckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RatePolicy> policies = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep = new AtomicLong();

  @Override
  public Future<Decision> take(String key, RatePolicy policy) {
    return Future.succeededFuture(takeNow(key, policy));
  }

  @Override
  public Decision takeAtOnce(String key, RatePolicy policy) {
    return takeNow(key, policy);
  }

  Decision takeNow(String key, RatePolicy policy) {
    long now = System.currentTimeMillis();
    long last = lastSweep.get();
    if (now - last > 1000 && size() > SWEEP_ABOVE && lastSweep.compareAndSet(last, now)) {
      sweep(now);
    }
    Bucket bucket = bucketsOf(policy).computeIfAbsent(key, k -> new Bucket(policy.limit(), now));
    synchronized (bucket) {
      return Decision.of(policy, bucket.take(1, policy.limit(), policy.windowSeconds(), now), bucket);
    }
  }

  @Override
  public Decision peek(String key, RatePolicy policy) {
    ConcurrentHashMap<String, Bucket> ofPolicy = buckets.get(policy.name());
    Bucket bucket = ofPolicy == null ? null : ofPolicy.get(key);
    if (bucket == null) {
      return new Decision(policy, true, policy.limit(), 0, 0);
    }
    synchronized (bucket) {
      bucket.take(0, policy.limit(), policy.windowSeconds(), System.currentTimeMillis());
      boolean left = bucket.remaining() >= 1;
      return new Decision(policy, left, bucket.remaining(), bucket.secondsUntilFull(policy.limit(),
          policy.windowSeconds()), left ? 0 : bucket.secondsUntilNext(policy.limit(), policy.windowSeconds()));
    }
  }

  private ConcurrentHashMap<String, Bucket> bucketsOf(RatePolicy policy) {
    ConcurrentHashMap<String, Bucket> ofPolicy = buckets.get(policy.name());
    if (ofPolicy == null) {
      policies.put(policy.name(), policy);
      ofPolicy = buckets.computeIfAbsent(policy.name(), name -> new ConcurrentHashMap<>());
    }
    return ofPolicy;
  }

  private long size() {
    long size = 0;
    for (ConcurrentHashMap<String, Bucket> ofPolicy : buckets.values()) {
      size += ofPolicy.size();
    }
    return size;
  }

  private void sweep(long now) {
    buckets.forEach((name, ofPolicy) -> {
      RatePolicy policy = policies.get(name);
      ofPolicy.values().removeIf(bucket -> {
        synchronized (bucket) {
          return bucket.isFull(policy.limit(), policy.windowSeconds(), now);
        }
      });
    });
    if (size() > FORGET_ABOVE) {
      buckets.values().forEach(ConcurrentHashMap::clear);
    }
  }
}
