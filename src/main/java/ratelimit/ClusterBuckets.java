package ratelimit;

import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Buckets shared by every node of the Hazelcast cluster, so a caller's budget is one budget whichever node it
 * reaches. The hot path stays local: a node reserves a few tokens at once ({@link RatePolicy#reservation()}) with
 * one asynchronous entry-processor call, and spends them without asking again; a reservation not spent within
 * {@link #RESERVATION_MILLIS} is dropped, so a caller that moves between nodes is short of at most a few tokens,
 * and the cluster never grants more than the quota.
 */
public final class ClusterBuckets implements BucketStore {

  public static final String MAP = "roster.ratelimit";
  static final long RESERVATION_MILLIS = 1000;
  private static final int SWEEP_ABOVE = 100_000;
  private final AtomicLong lastSweep = new AtomicLong();

  private final IMap<String, Bucket> map;
  private final ConcurrentHashMap<String, Reservation> reserved = new ConcurrentHashMap<>();

  /**
   * The map's settings, for the cluster's configuration: buckets idle for an hour go (the longest default window
   * refills one in 10 min); objects in memory, so the entry processor does not deserialize a bucket per call; one
   * asynchronous backup (a lost bucket only means a fresh quota).
   */
  public static MapConfig mapConfig() {
    return new MapConfig(MAP).setMaxIdleSeconds(3600).setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(0).setAsyncBackupCount(1);
  }

  public ClusterBuckets(HazelcastInstance hazelcast) {
    this.map = hazelcast.getMap(MAP);
  }

  /** Tokens this node holds for a key, and what the cluster last said of the bucket. */
  private static final class Reservation {
    int tokens;
    long expiresAt;
    long remaining;
    long resetSeconds;
    long refusedUntil;
    long retryAfter;
  }

  @Override
  public Future<Decision> take(String key, RatePolicy policy) {
    String id = policy.name() + " " + key;
    long now = System.currentTimeMillis();
    long last = lastSweep.get();
    if (reserved.size() > SWEEP_ABOVE && now - last > 1000 && lastSweep.compareAndSet(last, now)) {
      // what this node holds is a cache of the cluster's buckets: dropping it only costs a remote call
      reserved.values().removeIf(r -> r.expiresAt < now && r.refusedUntil < now);
    }
    Reservation r = reserved.computeIfAbsent(id, k -> new Reservation());
    synchronized (r) {
      if (r.tokens > 0 && r.expiresAt > now) {
        r.tokens--;
        return Future.succeededFuture(new Decision(policy, true, r.remaining + r.tokens, r.resetSeconds, 0));
      }
      if (r.refusedUntil > now) {
        // the cluster said when the next token comes: a flood is refused here, without a remote call each
        return Future.succeededFuture(new Decision(policy, false, 0, r.resetSeconds,
            Math.max(1, (r.refusedUntil - now + 999) / 1000)));
      }
    }
    // continue on the request's own event loop, not on a Hazelcast thread
    Context context = Vertx.currentContext();
    var pending = map.submitToKey(id, new TakeTokens(policy.reservation(), policy.limit(), policy.windowSeconds()));
    return (context == null ? Future.fromCompletionStage(pending) : Future.fromCompletionStage(pending, context))
        .map(answer -> {
          synchronized (r) {
            int granted = (int) answer[0];
            r.remaining = answer[1];
            r.resetSeconds = answer[2];
            r.retryAfter = answer[3];
            // two answers racing for one key: the later one's reservation replaces the earlier's (tokens are lost,
            // never granted twice)
            if (granted == 0) {
              r.refusedUntil = System.currentTimeMillis() + answer[3] * 1000;
              return new Decision(policy, false, 0, r.resetSeconds, r.retryAfter);
            }
            r.tokens = granted - 1;
            r.expiresAt = System.currentTimeMillis() + RESERVATION_MILLIS;
            r.refusedUntil = 0;
            return new Decision(policy, true, r.remaining + r.tokens, r.resetSeconds, 0);
          }
        });
  }

  @Override
  public Decision peek(String key, RatePolicy policy) {
    Reservation r = reserved.get(policy.name() + " " + key);
    if (r == null) {
      return new Decision(policy, true, policy.limit(), 0, 0);
    }
    synchronized (r) {
      long now = System.currentTimeMillis();
      return r.refusedUntil > now
          ? new Decision(policy, false, 0, r.resetSeconds, Math.max(1, (r.refusedUntil - now + 999) / 1000))
          : new Decision(policy, true, r.remaining + (r.expiresAt > now ? r.tokens : 0), r.resetSeconds, 0);
    }
  }
}
