package auth;

import config.ProviderUrl;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

/**
 * Fetches the JWKS over HTTP, from the configured URL or, without one, from the URL that
 * {@code <issuer>/.well-known/openid-configuration} names (as Keycloak publishes it). That document must
 * name the configured issuer itself (OpenID Connect Discovery 1.0, section 4.3), and its JWKS URL must be
 * https like the configured ones.
 */
public final class HttpJwksSource implements JwksSource {

  private final WebClient client;
  private final String issuer;
  private final String configuredJwksUrl;
  private final boolean allowHttp;
  private volatile String discoveredJwksUrl;

  public HttpJwksSource(WebClient client, String issuer, String jwksUrl, boolean allowHttp) {
    this.client = client;
    this.issuer = issuer;
    this.configuredJwksUrl = jwksUrl == null || jwksUrl.isBlank() ? null : jwksUrl;
    this.allowHttp = allowHttp;
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
          JsonObject discovery = bodyOf(response);
          if (!issuer.equals(discovery.getValue("issuer"))) {
            throw new IllegalStateException("the openid-configuration of " + issuer + " names the issuer '"
                + discovery.getValue("issuer") + "', not the configured one: no key of it is trusted");
          }
          if (!(discovery.getValue("jwks_uri") instanceof String url)) {
            throw new IllegalStateException("openid-configuration of " + issuer + " names no jwks_uri");
          }
          ProviderUrl.Verdict verdict = ProviderUrl.check(url, allowHttp);
          if (verdict == ProviderUrl.Verdict.PLAIN_HTTP || verdict == ProviderUrl.Verdict.MALFORMED) {
            throw new IllegalStateException("openid-configuration of " + issuer + " names the jwks_uri '" + url
                + "', which is not https (ROSTER_OIDC_ALLOW_HTTP=true accepts http inside a trusted network)");
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
