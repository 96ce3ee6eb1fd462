package auth;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;

/**
 * Fetches the JWKS over HTTP, from the configured URL or, without one, from the URL that
 * {@code <issuer>/.well-known/openid-configuration} names (as Keycloak publishes it).
 */
public final class HttpJwksSource implements JwksSource {

  private final WebClient client;
  private final String issuer;
  private final String configuredJwksUrl;
  private volatile String discoveredJwksUrl;

  public HttpJwksSource(WebClient client, String issuer, String jwksUrl) {
    this.client = client;
    this.issuer = issuer;
    this.configuredJwksUrl = jwksUrl == null || jwksUrl.isBlank() ? null : jwksUrl;
  }

  @Override
  public Future<JsonArray> fetch() {
    return jwksUrl().compose(url -> client.getAbs(url).timeout(5000).send())
        .map(response -> {
          JsonArray keys = bodyOf(response).getJsonArray("keys");
          if (keys == null) {
            throw new IllegalStateException("JWKS document has no keys");
          }
          return keys;
        });
  }

  private Future<String> jwksUrl() {
    if (configuredJwksUrl != null) {
      return Future.succeededFuture(configuredJwksUrl);
    }
    if (discoveredJwksUrl != null) {
      return Future.succeededFuture(discoveredJwksUrl);
    }
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    return client.getAbs(base + "/.well-known/openid-configuration").timeout(5000).send()
        .map(response -> {
          String url = bodyOf(response).getString("jwks_uri");
          if (url == null) {
            throw new IllegalStateException("openid-configuration of " + issuer + " names no jwks_uri");
          }
          discoveredJwksUrl = url;
          return url;
        });
  }

  private static JsonObject bodyOf(HttpResponse<Buffer> response) {
    if (response.statusCode() != 200) {
      throw new IllegalStateException("identity provider answered " + response.statusCode());
    }
    return response.bodyAsJsonObject();
  }
}
