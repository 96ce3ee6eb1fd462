package auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import web.ApiError;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Checks a bearer JWT (RFC 8725, RFC 9068): signature by a JWKS key (RS256 or ES256 only, so never {@code none}
 * nor an HMAC keyed with a public key), {@code exp} present and, like {@code nbf}, within the leeway, {@code iss}
 * equal to the configured issuer, and {@code aud} when configured. An unknown key id asks the shared
 * {@link JwksCache} for a (rate-limited) refresh. One instance per HTTP verticle, used on its event loop.
 */
public final class TokenVerifier {

  private static final ApiError KEYS_UNAVAILABLE =
      ApiError.unavailable("The identity provider's keys cannot be loaded; try again shortly.");

  private static final long CACHE_MILLIS = 5 * 60_000;
  private static final int CACHE_SIZE = 50_000;
  /** Longer tokens are verified every time, never cached: no single entry can take a large share of the budget. */
  static final int MAX_CACHED_TOKEN_CHARS = 4096;
  /** Per entry beyond the token and claims: the map node, the record, its key reference, the strings' headers. */
  private static final int ENTRY_OVERHEAD_BYTES = 256;

  /**
   * A token whose signature was checked with {@code key} (published under {@code kid}) of snapshot
   * {@code keysVersion}: it stays good only while the JWKS still publishes that very key. {@code bytes} is the
   * entry's estimated memory. {@code caller}: the caller built from it once its subject was found linked to a
   * member (a link never changes), so the next requests with this token skip the claims and the lookup.
   */
  private static final class Verified {
    final JsonObject claims;
    final long validUntilMs;
    final String kid;
    final JsonObject key;
    final long keysVersion;
    final int bytes;
    Caller caller;

    Verified(JsonObject claims, long validUntilMs, String kid, JsonObject key, long keysVersion, int bytes) {
      this.claims = claims;
      this.validUntilMs = validUntilMs;
      this.kid = kid;
      this.key = key;
      this.keysVersion = keysVersion;
      this.bytes = bytes;
    }
  }

  /**
   * Least recently used first out, bounded both in entries and in estimated bytes. Used on this verticle's event
   * loop only; the lock is uncontended and keeps it safe should that ever change.
   */
  private final java.util.LinkedHashMap<String, Verified> verified = new java.util.LinkedHashMap<>(1024, 0.75f, true);
  private final long maxCacheBytes;
  private long cacheBytes;

  private final Vertx vertx;
  private final JwksCache keys;
  private final int leewaySeconds;
  private final JWTOptions options;
  private volatile JWTAuth auth;
  private volatile long authVersion = -1;

  /** @param maxCacheBytes estimated memory the verified-token cache may use */
  public TokenVerifier(Vertx vertx, JwksCache keys, String issuer, String audience, int leewaySeconds,
                       long maxCacheBytes) {
    this.maxCacheBytes = maxCacheBytes;
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("an issuer is required: a token's iss is always checked");
    }
    this.vertx = vertx;
    this.keys = keys;
    this.options = new JWTOptions().setLeeway(leewaySeconds).setIssuer(issuer);
    this.leewaySeconds = leewaySeconds;
    if (audience != null && !audience.isBlank()) {
      options.addAudience(audience);
    }
  }

  /** @return the verified claims, or a failed future with a 401 {@link ApiError} */
  public Future<JsonObject> verify(String token) {
    Verified cached;
    synchronized (verified) {
      cached = trusted(token);
    }
    if (cached != null) {
      return Future.succeededFuture(cached.claims);
    }
    return verifyNow(token);
  }

  /** The caller remembered with this token ({@link #rememberCaller}) while the token is still good, else null. */
  public Caller knownCaller(String token) {
    synchronized (verified) {
      Verified cached = trusted(token);
      return cached == null ? null : cached.caller;
    }
  }

  /** Remembers the caller built from these claims of this token, as long as the token itself is remembered. */
  public void rememberCaller(String token, JsonObject claims, Caller caller) {
    synchronized (verified) {
      Verified cached = verified.get(token);
      if (cached != null && cached.claims == claims) {
        cached.caller = caller;
      }
    }
  }

  /** The token's entry while it is good, else null (an expired or no longer trusted one is dropped). Caller locks. */
  private Verified trusted(String token) {
    Verified cached = verified.get(token);
    if (cached != null && (System.currentTimeMillis() >= cached.validUntilMs || !stillTrusted(cached, keys.current()))) {
      forget(token);
      return null;
    }
    return cached;
  }

  /** After a JWKS change, a remembered token counts only if the key that signed it is still published. */
  private static boolean stillTrusted(Verified entry, JwksCache.Snapshot snapshot) {
    return entry.keysVersion == snapshot.version()
        || entry.key != null && entry.key.equals(snapshot.key(entry.kid));
  }

  /**
   * Apps send the same token with every request until it expires; checking its signature once is enough.
   * Kept until it expires (with the leeway), and at most a few minutes, so a key withdrawn from the JWKS
   * stops being honoured soon. Keyed by the whole token, signature included.
   */
  private void remember(String token, String kid, JwksCache.Snapshot snapshot, JsonObject claims) {
    long now = System.currentTimeMillis();
    long until = Math.min(now + CACHE_MILLIS, (claims.getLong("exp") + leewaySeconds) * 1000);
    if (until > now && token.length() <= MAX_CACHED_TOKEN_CHARS) {
      int bytes = estimatedBytes(token);
      synchronized (verified) {
        forget(token);
        verified.put(token, new Verified(claims, until, kid, snapshot.key(kid), snapshot.version(), bytes));
        cacheBytes += bytes;
        var eldest = verified.entrySet().iterator();
        while ((cacheBytes > maxCacheBytes || verified.size() > CACHE_SIZE) && eldest.hasNext()) {
          cacheBytes -= eldest.next().getValue().bytes;
          eldest.remove();
        }
      }
    }
  }

  /** Caller holds the lock. */
  private void forget(String token) {
    Verified gone = verified.remove(token);
    if (gone != null) {
      cacheBytes -= gone.bytes;
    }
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

  /** Entries and estimated bytes of the cache, for tests. */
  long[] cacheUsage() {
    synchronized (verified) {
      return new long[] {verified.size(), cacheBytes};
    }
  }

  private Future<JsonObject> verifyNow(String token) {
    JsonObject header;
    try {
      header = headerOf(token);
    } catch (RuntimeException e) {
      return Future.failedFuture(ApiError.unauthenticated("The bearer token is malformed."));
    }
    if (!(header.getValue("alg") instanceof String algorithm) || !JwksCache.ALGORITHMS.contains(algorithm)) {
      return Future.failedFuture(ApiError.unauthenticated("Tokens must be signed with RS256 or ES256."));
    }
    String kid = header.getValue("kid") instanceof String k ? k : null;
    JwksCache.Snapshot first = keys.current();
    return authenticate(token, first).map(user -> checked(token, kid, first, user))
        .recover(error -> error instanceof NoSuchKeyIdException
            ? keys.refresh()
                .recover(down -> Future.succeededFuture(keys.current()))
                // No key at all means we could not load any yet: that is our outage, not a bad token.
                .compose(snapshot -> snapshot.keys().isEmpty() ? Future.failedFuture(KEYS_UNAVAILABLE)
                    : authenticate(token, snapshot).map(user -> checked(token, kid, snapshot, user)))
            : Future.failedFuture(error))
        .recover(error -> Future.failedFuture(error instanceof ApiError ? error
            : ApiError.unauthenticated("The bearer token is not valid: " + reason(error) + ".")));
  }

  /**
   * JWTAuth accepts a token without {@code exp} as never expiring; an access token must say when it ends.
   * The claims are the token's whole payload (JWTAuth's principal leaves out exp, iat and nbf).
   */
  private JsonObject checked(String token, String kid, JwksCache.Snapshot snapshot, User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken");
    if (!(claims.getValue("exp") instanceof Number)) {
      throw ApiError.unauthenticated("The bearer token is not valid: it has no expiry (exp).");
    }
    remember(token, kid, snapshot, claims);
    return claims;
  }

  private Future<User> authenticate(String token, JwksCache.Snapshot snapshot) {
    if (snapshot.keys().isEmpty()) {
      return Future.failedFuture(new NoSuchKeyIdException("none"));
    }
    if (snapshot.version() != authVersion) {
      // An empty key list would make JWTAuth accept unsigned tokens; snapshots are never empty here.
      auth = JWTAuth.create(vertx, new JWTAuthOptions().setJwks(snapshot.keys()).setJWTOptions(options));
      authVersion = snapshot.version();
    }
    return auth.authenticate(new TokenCredentials(token));
  }

  private static JsonObject headerOf(String token) {
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0 || token.indexOf('.', second + 1) >= 0 || second == token.length() - 1) {
      throw new IllegalArgumentException("not a signed JWT");
    }
    try {
      // only the header is decoded here: JWTAuth reads the rest
      return new JsonObject(new String(Base64.getUrlDecoder().decode(token.substring(0, first)), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("bad header", e);
    }
  }

  private static String reason(Throwable error) {
    String message = String.valueOf(error.getMessage());
    if (error instanceof NoSuchKeyIdException) {
      return "signed by an unknown key";
    }
    if (message.contains("expired")) {
      return "expired or not yet valid";
    }
    if (message.contains("issuer")) {
      return "wrong issuer";
    }
    if (message.contains("audience")) {
      return "wrong audience";
    }
    return "bad signature or format";
  }
}
