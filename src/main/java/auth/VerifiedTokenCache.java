package auth;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tokens whose signature has been checked, one cache for the whole node: every HTTP verticle's
 * {@link TokenVerifier} reads and fills it, so a token checked on one event loop is not checked again on another.
 * Bounded both in entries and in estimated bytes (the node's budget), least recently used out first.
 *
 * <p>Striped so that event loops seldom wait on one another: each stripe is an access-ordered map behind its own
 * lock. Every entry notes when it was last used; the least recently used entry of the whole cache is the oldest of
 * the stripes' eldest, and that is the one evicted (approximately: a stripe's eldest may be used between the look
 * and the removal). Evictions happen only after a signature check, which costs far more than looking at the stripes.
 */
public final class VerifiedTokenCache {

  /** Longer tokens are verified every time, never cached: no single entry can take a large share of the budget. */
  static final int MAX_TOKEN_CHARS = 4096;
  static final int MAX_ENTRIES = 50_000;
  /** Per entry beyond the token and claims: the map node, the entry, its key reference, the strings' headers. */
  private static final int ENTRY_OVERHEAD_BYTES = 256;
  /** A power of two, well above the number of event loops. */
  private static final int STRIPES = 32;

  private final Stripe[] stripes = new Stripe[STRIPES];
  private final long maxBytes;
  private final int maxEntries;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicInteger entries = new AtomicInteger();

  /** @param maxBytes estimated memory the whole cache may use */
  public VerifiedTokenCache(long maxBytes) {
    this(maxBytes, MAX_ENTRIES);
  }

  VerifiedTokenCache(long maxBytes, int maxEntries) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  /** The token's entry while it is good under these keys, else null (an expired or no longer trusted one is dropped). */
  VerifiedToken get(String token, JwksCache.Snapshot keys) {
    Stripe stripe = stripeOf(token);
    synchronized (stripe) {
      VerifiedToken entry = stripe.map.get(token);
      if (entry == null) {
        return null;
      }
      if (!entry.goodAt(System.currentTimeMillis(), keys)) {
        stripe.remove(token);
        return null;
      }
      entry.lastUsedNanos = System.nanoTime();
      return entry;
    }
  }

  /**
   * Remembers a verified token (replacing an entry of the same token), then evicts the least recently used entries
   * while the cache is over either bound. A token over {@link #MAX_TOKEN_CHARS} is not kept.
   */
  void put(String token, JsonObject claims, long validUntilMs, String kid, JwksCache.Snapshot keys) {
    if (token.length() > MAX_TOKEN_CHARS) {
      return;
    }
    VerifiedToken entry = new VerifiedToken(claims, validUntilMs, kid, keys.key(kid), keys.version(),
        estimatedBytes(token));
    Stripe stripe = stripeOf(token);
    synchronized (stripe) {
      stripe.remove(token);
      entry.lastUsedNanos = System.nanoTime();
      stripe.map.put(token, entry);
      bytes.addAndGet(entry.bytes);
      entries.incrementAndGet();
    }
    while (bytes.get() > maxBytes || entries.get() > maxEntries) {
      if (!evictLeastRecentlyUsed()) {
        return;
      }
    }
  }

  /** @return false when there was nothing left to evict */
  private boolean evictLeastRecentlyUsed() {
    Stripe oldest = null;
    long oldestAt = 0;
    for (Stripe stripe : stripes) {
      synchronized (stripe) {
        VerifiedToken eldest = stripe.eldest();
        if (eldest != null && (oldest == null || eldest.lastUsedNanos - oldestAt < 0)) {
          oldest = stripe;
          oldestAt = eldest.lastUsedNanos;
        }
      }
    }
    if (oldest == null) {
      return false;
    }
    synchronized (oldest) {
      oldest.removeEldest();
    }
    return true;
  }

  /**
   * Rough heap size of an entry: the token (one byte a character: JWTs are ASCII, kept as compact strings) and the
   * claims, whose parsed form (a map of boxed values and strings) takes about four times their JSON text. That text
   * is the token's middle part, base64url-encoded (4 characters for 3 bytes): measured there, not encoded again.
   */
  static int estimatedBytes(String token) {
    int payloadChars = token.lastIndexOf('.') - token.indexOf('.') - 1;
    return ENTRY_OVERHEAD_BYTES + token.length() + 4 * (Math.max(0, payloadChars) * 3 / 4);
  }

  /** Entries and estimated bytes, for tests. */
  long[] usage() {
    return new long[] {entries.get(), bytes.get()};
  }

  private Stripe stripeOf(String token) {
    int h = token.hashCode();
    return stripes[(h ^ (h >>> 16)) & (STRIPES - 1)];
  }

  /** One lock's share of the cache; its methods are called with the stripe locked. */
  private final class Stripe {
    final LinkedHashMap<String, VerifiedToken> map = new LinkedHashMap<>(64, 0.75f, true);

    VerifiedToken eldest() {
      return map.isEmpty() ? null : map.values().iterator().next();
    }

    void removeEldest() {
      var eldest = map.entrySet().iterator();
      if (eldest.hasNext()) {
        Map.Entry<String, VerifiedToken> gone = eldest.next();
        eldest.remove();
        forgot(gone.getValue());
      }
    }

    void remove(String token) {
      VerifiedToken gone = map.remove(token);
      if (gone != null) {
        forgot(gone);
      }
    }

    private void forgot(VerifiedToken gone) {
      bytes.addAndGet(-gone.bytes);
      entries.decrementAndGet();
    }
  }
}
