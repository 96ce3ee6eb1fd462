package auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The trusted signing keys, shared by every HTTP verticle of the node. Refreshes on an unknown kid are
 * rate-limited node-wide (one per interval) and shared: a verticle that meets a new kid after another one
 * refreshed just picks up the newer snapshot. Besides, the keys are fetched again every max age, so a key
 * the issuer withdrew stops being trusted within that time. While the issuer cannot be reached the last
 * keys stay in use: an identity provider restart must not log every member out.
 */
public final class JwksCache {

  private static final Logger log = LoggerFactory.getLogger(JwksCache.class);
  static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");

  /** Keys at one point in time; the version lets each verifier notice a change cheaply. */
  public record Snapshot(long version, List<JsonObject> keys, Map<String, JsonObject> byKid) {

    static Snapshot of(long version, List<JsonObject> keys) {
      Map<String, JsonObject> byKid = new HashMap<>();
      keys.forEach(key -> {
        if (key.getString("kid") != null) {
          byKid.put(key.getString("kid"), key);
        }
      });
      return new Snapshot(version, List.copyOf(keys), Map.copyOf(byKid));
    }

    /** The key published under this kid, or null. */
    public JsonObject key(String kid) {
      return kid == null ? null : byKid.get(kid);
    }
  }

  private final JwksSource source;
  private final long refreshIntervalMs;
  private volatile Snapshot current = Snapshot.of(0, List.of());
  private long lastFetchAt = Long.MIN_VALUE;
  private Future<Snapshot> inFlight;

  public JwksCache(JwksSource source, int refreshIntervalSeconds) {
    this.source = source;
    this.refreshIntervalMs = refreshIntervalSeconds * 1000L;
  }

  public Snapshot current() {
    return current;
  }

  /** Fetches the keys again every {@code maxAgeSeconds}, whatever the unknown-kid rate limit says. */
  public long refreshEvery(Vertx vertx, int maxAgeSeconds) {
    return vertx.setPeriodic(maxAgeSeconds * 1000L, id -> fetch());
  }

  /**
   * Fetches now, unless a fetch is running (join it) or the last one was less than an interval ago. The answer
   * arrives on the caller's context: a fetch started by another verticle completes on that verticle's event
   * loop, and a request must never continue there (its verticle's coalescer and pools belong to its own loop).
   */
  public Future<Snapshot> refresh() {
    Future<Snapshot> shared = refreshShared();
    ContextInternal caller = (ContextInternal) Vertx.currentContext();
    if (caller == null) {
      return shared;
    }
    PromiseInternal<Snapshot> answer = caller.promise();
    shared.onComplete(answer);
    return answer.future();
  }

  private synchronized Future<Snapshot> refreshShared() {
    if (inFlight == null && lastFetchAt != Long.MIN_VALUE
        && System.currentTimeMillis() - lastFetchAt < refreshIntervalMs) {
      return Future.succeededFuture(current);
    }
    return fetch();
  }

  private synchronized Future<Snapshot> fetch() {
    if (inFlight != null) {
      return inFlight;
    }
    lastFetchAt = System.currentTimeMillis();
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
      return replaceWith(usable);
    });
    inFlight = fetch;
    fetch.onComplete(done -> {
      synchronized (this) {
        inFlight = null;
      }
      if (done.failed()) {
        log.warn("JWKS refresh failed, the keys loaded before stay in use: {}", done.cause().getMessage());
      }
    });
    return fetch;
  }

  /** The same keys keep their snapshot, so verifiers and their caches are not reset for nothing. */
  private Snapshot replaceWith(List<JsonObject> usable) {
    Snapshot before = current;
    if (Set.copyOf(usable).equals(Set.copyOf(before.keys()))) {
      return before;
    }
    Snapshot next = Snapshot.of(before.version() + 1, usable);
    current = next;
    Set<String> withdrawn = new TreeSet<>(before.byKid().keySet());
    withdrawn.removeIf(kid -> usable.stream().anyMatch(key -> key.equals(before.key(kid))));
    if (before.version() == 0) {
      log.info("loaded {} signing key(s) from the JWKS", usable.size());
    } else {
      log.info("the JWKS changed: {} signing key(s){}", usable.size(),
          withdrawn.isEmpty() ? "" : "; no longer trusted: " + String.join(", ", withdrawn));
    }
    return next;
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
