package auth;

import io.vertx.core.json.JsonObject;

/**
 * A token whose signature was checked with {@code key} (published under {@code kid}) of snapshot
 * {@code keysVersion}: it stays good only while the JWKS still publishes that very key, and until
 * {@code validUntilMs}. {@code caller}: the caller built from it once its subject was found linked to a member (a
 * link never changes), so the next requests with this token skip the claims and the lookup; set from any event loop.
 */
final class VerifiedToken {

  final JsonObject claims;
  final long validUntilMs;
  final String kid;
  final JsonObject key;
  final long keysVersion;
  /** Estimated heap size, counted against the cache's byte budget. */
  final int bytes;
  volatile Caller caller;
  /** When last read or stored ({@link System#nanoTime()}); guarded by the cache stripe holding the entry. */
  long lastUsedNanos;

  VerifiedToken(JsonObject claims, long validUntilMs, String kid, JsonObject key, long keysVersion, int bytes) {
    this.claims = claims;
    this.validUntilMs = validUntilMs;
    this.kid = kid;
    this.key = key;
    this.keysVersion = keysVersion;
    this.bytes = bytes;
  }

  /** Not expired, and after a JWKS change, still signed by a key the JWKS publishes. */
  boolean goodAt(long nowMs, JwksCache.Snapshot keys) {
    return nowMs < validUntilMs
        && (keysVersion == keys.version() || key != null && key.equals(keys.key(kid)));
  }
}
