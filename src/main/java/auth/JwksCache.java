package auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The trusted signing keys, shared by every HTTP verticle of the node. Refreshes are rate-limited
 * node-wide (one per interval) and shared: a verticle that meets a new kid after another one
 * refreshed just picks up the newer snapshot.
 */
public final class JwksCache {

  private static final Logger log = LoggerFactory.getLogger(JwksCache.class);
  static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");

  /** Keys at one point in time; the version lets each verifier notice a change cheaply. */
  public record Snapshot(long version, List<JsonObject> keys) {
  }

  private final JwksSource source;
  private final long refreshIntervalMs;
  private volatile Snapshot current = new Snapshot(0, List.of());
  private long lastFetchAt = Long.MIN_VALUE;
  private Future<Snapshot> inFlight;

  public JwksCache(JwksSource source, int refreshIntervalSeconds) {
    this.source = source;
    this.refreshIntervalMs = refreshIntervalSeconds * 1000L;
  }

  public Snapshot current() {
    return current;
  }

  /** Fetches now, unless a fetch is running (join it) or the last one was less than an interval ago. */
  public synchronized Future<Snapshot> refresh() {
    if (inFlight != null) {
      return inFlight;
    }
    long now = System.currentTimeMillis();
    if (lastFetchAt != Long.MIN_VALUE && now - lastFetchAt < refreshIntervalMs) {
      return Future.succeededFuture(current);
    }
    lastFetchAt = now;
    Future<Snapshot> fetch = source.fetch().map(keys -> {
      List<JsonObject> usable = new ArrayList<>();
      for (Object key : keys) {
        if (key instanceof JsonObject jwk && ALGORITHMS.contains(algorithmOf(jwk))) {
          usable.add(jwk.copy().put("alg", algorithmOf(jwk)));
        }
      }
      if (usable.isEmpty()) {
        throw new IllegalStateException("the JWKS has no RS256 or ES256 key");
      }
      Snapshot next = new Snapshot(current.version() + 1, List.copyOf(usable));
      current = next;
      log.info("loaded {} signing key(s) from the JWKS", usable.size());
      return next;
    });
    inFlight = fetch;
    fetch.onComplete(done -> {
      synchronized (this) {
        inFlight = null;
      }
      if (done.failed()) {
        log.warn("JWKS refresh failed: {}", done.cause().getMessage());
      }
    });
    return fetch;
  }

  private static String algorithmOf(JsonObject jwk) {
    String alg = jwk.getString("alg");
    if (alg != null) {
      return alg;
    }
    if ("RSA".equals(jwk.getString("kty"))) {
      return "RS256";
    }
    if ("EC".equals(jwk.getString("kty")) && "P-256".equals(jwk.getString("crv"))) {
      return "ES256";
    }
    return "";
  }
}
