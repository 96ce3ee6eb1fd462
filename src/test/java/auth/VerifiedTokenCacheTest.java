package auth;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's verified-token cache, used by several event loops at once: least recently used out first across its
 * stripes, and within its byte budget and entry cap whatever the interleaving.
 */
class VerifiedTokenCacheTest {

  private static final JsonObject KEY = new JsonObject().put("kid", "k1").put("kty", "RSA").put("n", "abc");
  private static final JwksCache.Snapshot KEYS = JwksCache.Snapshot.of(1, List.of(KEY));
  private static final JwksCache.Snapshot WITHOUT_THE_KEY =
      JwksCache.Snapshot.of(2, List.of(new JsonObject().put("kid", "k2").put("kty", "RSA").put("n", "def")));

  @Test
  void theLeastRecentlyUsedTokenOfAnyStripeGoesFirst() throws Exception {
    int entry = VerifiedTokenCache.estimatedBytes(token(0));
    VerifiedTokenCache cache = new VerifiedTokenCache(3L * entry);
    for (int i = 0; i < 3; i++) {
      put(cache, token(i));
      Thread.sleep(2);
    }
    assertThat(cache.get(token(0), KEYS)).as("read: now the most recently used").isNotNull();
    Thread.sleep(2);
    put(cache, token(3));

    assertThat(cache.get(token(1), KEYS)).as("the least recently used, evicted").isNull();
    for (int i : new int[] {0, 2, 3}) {
      assertThat(cache.get(token(i), KEYS)).as("token %d kept", i).isNotNull();
    }
    assertThat(cache.usage()).containsExactly(3, 3L * entry);
  }

  @Test
  void theEntryCapHoldsToo() {
    VerifiedTokenCache cache = new VerifiedTokenCache(1L << 30, 10);
    for (int i = 0; i < 100; i++) {
      put(cache, token(i));
    }
    assertThat(cache.usage()[0]).isEqualTo(10);
    assertThat(cache.get(token(99), KEYS)).isNotNull();
  }

  @Test
  void anExpiredTokenOrOneWhoseKeyWasWithdrawnIsDropped() {
    VerifiedTokenCache cache = new VerifiedTokenCache(1L << 20);
    cache.put(token(1), new JsonObject(), System.currentTimeMillis() - 1, "k1", KEYS);
    put(cache, token(2));
    assertThat(cache.get(token(1), KEYS)).isNull();
    assertThat(cache.get(token(2), WITHOUT_THE_KEY)).isNull();
    assertThat(cache.usage()).containsExactly(0, 0L);
  }

  @Test
  void manyLoopsAtOnceStayWithinTheBudgetAndCountEveryEntry() throws Exception {
    long budget = 50L * VerifiedTokenCache.estimatedBytes(token(0));
    VerifiedTokenCache cache = new VerifiedTokenCache(budget, 40);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int base = t * 100_000;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < 5_000; i++) {
          put(cache, token(base + i));
          cache.get(token(base + i / 2), KEYS);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long[] usage = cache.usage();
    assertThat(usage[0]).isBetween(1L, 40L);
    assertThat(usage[1]).isLessThanOrEqualTo(budget);

    // the counters match what the stripes hold: emptied one by one, they come back to zero
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < 5_000; i++) {
        cache.get(token(t * 100_000 + i), WITHOUT_THE_KEY);
      }
    }
    assertThat(cache.usage()).containsExactly(0, 0L);
  }

  private static void put(VerifiedTokenCache cache, String token) {
    cache.put(token, new JsonObject().put("sub", token), System.currentTimeMillis() + 60_000, "k1", KEYS);
  }

  /** Same length for every n, so every entry weighs the same. */
  private static String token(int n) {
    return "eyJhbGciOiJSUzI1NiJ9." + "eyJzdWIiOiJ" + String.format("%08d", n) + ".c2lnbmF0dXJl";
  }
}
