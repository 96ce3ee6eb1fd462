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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks a bearer JWT (RFC 8725, RFC 9068): signature by a JWKS key (RS256 or ES256 only, so never {@code none}
 * nor an HMAC keyed with a public key), {@code exp} present and, like {@code nbf}, within the leeway, {@code iss}
 * equal to the configured issuer, and {@code aud} when configured. An unknown key id asks the shared
 * {@link JwksCache} for a (rate-limited) refresh. One instance per HTTP verticle, used on its event loop (its
 * JWTAuth is rebuilt there when the keys change); the tokens it has checked go to the node's shared
 * {@link VerifiedTokenCache}.
 */
public final class TokenVerifier {

  private static final ApiError KEYS_UNAVAILABLE =
      ApiError.unavailable("The identity provider's keys cannot be loaded; try again shortly.");

  private static final long CACHE_MILLIS = 5 * 60_000;

  private final VerifiedTokenCache verified;
  /** Signatures this verifier checked (a cache hit checks none), for tests. */
  private final AtomicLong signatureChecks = new AtomicLong();

  private final Vertx vertx;
  private final JwksCache keys;
  private final int leewaySeconds;
  private final JWTOptions options;
  private volatile JWTAuth auth;
  private volatile long authVersion = -1;

  /** @param verified the node's verified-token cache, shared with the other verticles' verifiers */
  public TokenVerifier(Vertx vertx, JwksCache keys, VerifiedTokenCache verified, String issuer, String audience,
                       int leewaySeconds) {
    this.verified = verified;
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
    VerifiedToken cached = verified.get(token, keys.current());
    if (cached != null) {
      return Future.succeededFuture(cached.claims);
    }
    return verifyNow(token);
  }

  /** The caller remembered with this token ({@link #rememberCaller}) while the token is still good, else null. */
  public Caller knownCaller(String token) {
    VerifiedToken cached = verified.get(token, keys.current());
    return cached == null ? null : cached.caller;
  }

  /** Remembers the caller built from these claims of this token, as long as the token itself is remembered. */
  public void rememberCaller(String token, JsonObject claims, Caller caller) {
    VerifiedToken cached = verified.get(token, keys.current());
    if (cached != null && cached.claims == claims) {
      cached.caller = caller;
    }
  }

  /**
   * Apps send the same token with every request until it expires; checking its signature once is enough, on
   * whichever event loop. Kept until it expires (with the leeway), and at most a few minutes, so a key withdrawn
   * from the JWKS stops being honoured soon. Keyed by the whole token, signature included.
   */
  private void remember(String token, String kid, JwksCache.Snapshot snapshot, JsonObject claims) {
    long now = System.currentTimeMillis();
    long until = Math.min(now + CACHE_MILLIS, (claims.getLong("exp") + leewaySeconds) * 1000);
    if (until > now) {
      verified.put(token, claims, until, kid, snapshot);
    }
  }

  long signatureChecks() {
    return signatureChecks.get();
  }

  private Future<JsonObject> verifyNow(String token) {
    Header header;
    try {
      header = headerOf(token);
    } catch (RuntimeException e) {
      return Future.failedFuture(ApiError.unauthenticated("The bearer token is malformed."));
    }
    if (header.alg() == null || !JwksCache.ALGORITHMS.contains(header.alg())) {
      return Future.failedFuture(ApiError.unauthenticated("Tokens must be signed with RS256 or ES256."));
    }
    String kid = header.kid();
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
    signatureChecks.incrementAndGet();
    return auth.authenticate(new TokenCredentials(token));
  }

  /** What the verifier reads of a token's header (JWTAuth reads it again, with the rest). */
  private record Header(String alg, String kid) {
  }

  /**
   * Every token an issuer signs with one key has the same header, byte for byte: decoded once, not on every new
   * token (a burst of first requests brings thousands). Only well-formed headers; this verticle's loop only.
   */
  private final Map<String, Header> headers = new HashMap<>();
  private static final int MAX_HEADERS = 64;

  private Header headerOf(String token) {
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0 || token.indexOf('.', second + 1) >= 0 || second == token.length() - 1) {
      throw new IllegalArgumentException("not a signed JWT");
    }
    String encoded = token.substring(0, first);
    Header known = headers.get(encoded);
    if (known != null) {
      return known;
    }
    JsonObject parsed;
    try {
      // only the header is decoded here: JWTAuth reads the rest
      parsed = new JsonObject(new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("bad header", e);
    }
    Header header = new Header(parsed.getValue("alg") instanceof String alg ? alg : null,
        parsed.getValue("kid") instanceof String kid ? kid : null);
    if (headers.size() >= MAX_HEADERS) {
      headers.clear(); // a handful of keys in use at a time: only a stream of forged headers gets here
    }
    headers.put(encoded, header);
    return header;
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
