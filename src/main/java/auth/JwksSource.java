package auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;

/** Where the trusted public keys come from: the issuer's JWKS endpoint, or start-dev's own key. */
public interface JwksSource {

  /** @return the current keys, as the {@code keys} array of a JWKS document */
  Future<JsonArray> fetch();

  static JwksSource fixed(JsonArray keys) {
    return () -> Future.succeededFuture(keys);
  }
}
