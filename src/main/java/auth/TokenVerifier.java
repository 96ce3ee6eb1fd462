package auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
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
import java.util.HashSet;
import java.util.Set;

/**
 * Checks a bearer JWT: signature by a JWKS key (RS256 or ES256 only, so never {@code none} nor an HMAC
 * keyed with a public key), {@code exp}/{@code nbf} with leeway, {@code iss}, and {@code aud} when
 * configured. An unknown key id asks the shared {@link JwksCache} for a (rate-limited) refresh.
 * One instance per HTTP verticle, used on its event loop.
 */
public final class TokenVerifier {

  private static final ApiError KEYS_UNAVAILABLE =
      ApiError.unavailable("The identity provider's keys cannot be loaded; try again shortly.");

  private static final long CACHE_MILLIS = 5 * 60_000;
  private static final int CACHE_SIZE = 50_000;

  private record Verified(JsonObject claims, long validUntilMs) {
  }

  /**
   * Least recently used first out. Used from this verticle's event loop, and from another one when that
   * verticle's JWKS refresh completes a verification here: hence the (uncontended) locking.
   */
  private final java.util.LinkedHashMap<String, Verified> verified = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, Verified> eldest) {
      return size() > CACHE_SIZE;
    }
  };

  private final Vertx vertx;
  private final JwksCache keys;
  private final int leewaySeconds;
  private final JWTOptions options;
  private volatile JWTAuth auth;
  private volatile long authVersion = -1;

  public TokenVerifier(Vertx vertx, JwksCache keys, String issuer, String audience, int leewaySeconds) {
    this.vertx = vertx;
    this.keys = keys;
    this.options = new JWTOptions().setLeeway(leewaySeconds);
    this.leewaySeconds = leewaySeconds;
    if (issuer != null && !issuer.isBlank()) {
      options.setIssuer(issuer);
    }
    if (audience != null && !audience.isBlank()) {
      options.addAudience(audience);
    }
  }

  /** @return the verified claims, or a failed future with a 401 {@link ApiError} */
  public Future<JsonObject> verify(String token) {
    Verified cached;
    synchronized (verified) {
      cached = verified.get(token);
      if (cached != null && System.currentTimeMillis() >= cached.validUntilMs()) {
        verified.remove(token);
        cached = null;
      }
    }
    if (cached != null) {
      return Future.succeededFuture(cached.claims());
    }
    return verifyNow(token).onSuccess(claims -> remember(token, claims));
  }

  /**
   * Apps send the same token with every request until it expires; checking its signature once is enough.
   * Kept until it expires (with the leeway), and at most a few minutes, so a key withdrawn from the JWKS
   * stops being honoured soon. Keyed by the whole token, signature included.
   */
  private void remember(String token, JsonObject claims) {
    long now = System.currentTimeMillis();
    long until = now + CACHE_MILLIS;
    Long exp = claims.getLong("exp");
    if (exp != null) {
      until = Math.min(until, (exp + leewaySeconds) * 1000);
    }
    if (until > now) {
      synchronized (verified) {
        verified.put(token, new Verified(claims, until));
      }
    }
  }

  private Future<JsonObject> verifyNow(String token) {
    String algorithm;
    try {
      algorithm = algorithmOf(token);
    } catch (RuntimeException e) {
      return Future.failedFuture(ApiError.unauthenticated("The bearer token is malformed."));
    }
    if (!JwksCache.ALGORITHMS.contains(algorithm)) {
      return Future.failedFuture(ApiError.unauthenticated("Tokens must be signed with RS256 or ES256."));
    }
    return authenticate(token, keys.current())
        .recover(error -> error instanceof NoSuchKeyIdException
            ? keys.refresh()
                .recover(down -> Future.succeededFuture(keys.current()))
                // No key at all means we could not load any yet: that is our outage, not a bad token.
                .compose(snapshot -> snapshot.keys().isEmpty() ? Future.failedFuture(KEYS_UNAVAILABLE)
                    : authenticate(token, snapshot))
            : Future.failedFuture(error))
        .map(User::principal)
        .recover(error -> Future.failedFuture(error instanceof ApiError ? error
            : ApiError.unauthenticated("The bearer token is not valid: " + reason(error) + ".")));
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

  private static String algorithmOf(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[2].isEmpty()) {
      throw new IllegalArgumentException("not a signed JWT");
    }
    try {
      JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
      return header.getString("alg", "");
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

  /** Roles from Keycloak's {@code realm_access.roles} or a flat {@code roles} claim. */
  public static Set<String> rolesOf(JsonObject claims) {
    Set<String> roles = new HashSet<>();
    if (claims.getValue("realm_access") instanceof JsonObject realm && realm.getValue("roles") instanceof JsonArray a) {
      a.forEach(v -> roles.add(String.valueOf(v)));
    }
    if (claims.getValue("roles") instanceof JsonArray a) {
      a.forEach(v -> roles.add(String.valueOf(v)));
    }
    return Set.copyOf(roles);
  }
}
