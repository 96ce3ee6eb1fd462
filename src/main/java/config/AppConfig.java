package config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Typed, read-only view of the merged configuration: the one place that knows key names. */
public final class AppConfig {

  /** Issuer of the tokens that start-dev prints; `start` never accepts it. */
  public static final String DEV_ISSUER = "urn:roster:development";

  private final JsonObject json;

  public AppConfig(JsonObject json) {
    this.json = json;
  }

  public JsonObject json() {
    return json;
  }

  public int httpPort() { return integer("http", "port", 8080); }
  public String httpHost() { return string("http", "host", "0.0.0.0"); }
  public int maxBodyBytes() { return integer("http", "maxBodyBytes", 65536); }

  public String pgUrl() { return string("pg", "url", ""); }
  public int pgPoolSize() { return integer("pg", "poolSize", 16); }
  public int pgConnectTimeoutMs() { return integer("pg", "connectTimeoutMs", 3000); }
  public int pgMaxWaitQueue() { return integer("pg", "maxWaitQueue", 2048); }
  public int pgWaitTimeoutMs() { return integer("pg", "waitTimeoutMs", 5000); }

  public String oidcIssuer() { return string("oidc", "issuer", ""); }
  public String oidcJwksUrl() { return string("oidc", "jwksUrl", ""); }
  public String oidcAudience() { return string("oidc", "audience", ""); }
  public int oidcLeewaySeconds() { return integer("oidc", "leewaySeconds", 30); }
  public int jwksRefreshSeconds() { return integer("oidc", "jwksRefreshSeconds", 30); }

  /** Public keys given in-process by start-dev's token issuer; never set in production. */
  public JsonArray devJwks() {
    return section("oidc").getJsonArray("devJwks");
  }

  public int idempotencyTtlHours() { return integer("idempotency", "ttlHours", 24); }

  public int httpInstances() { return section("verticles").getJsonObject("http", new JsonObject()).getInteger("instances", 2); }

  public int devTokenTtlHours() { return integer("dev", "tokenTtlHours", 12); }

  public AppConfig with(String section, String key, Object value) {
    JsonObject copy = json.copy();
    JsonObject s = copy.getJsonObject(section);
    if (s == null) {
      s = new JsonObject();
      copy.put(section, s);
    }
    s.put(key, value);
    return new AppConfig(copy);
  }

  /** `start` refuses to run without these; the message names the missing setting in one line. */
  public void requireProductionSettings() {
    if (pgUrl().isBlank()) {
      throw new ConfigException("missing setting: ROSTER_PG_URL (pg.url), the PostgreSQL URL postgresql://user:password@host:port/database");
    }
    if (oidcIssuer().isBlank() && oidcJwksUrl().isBlank()) {
      throw new ConfigException("missing setting: ROSTER_OIDC_ISSUER (oidc.issuer) or ROSTER_OIDC_JWKS_URL (oidc.jwksUrl), the token issuer to trust");
    }
    if (DEV_ISSUER.equals(oidcIssuer()) || devJwks() != null) {
      throw new ConfigException("refusing the development token issuer in production mode: set ROSTER_OIDC_ISSUER to your identity provider");
    }
  }

  private JsonObject section(String name) {
    JsonObject s = json.getJsonObject(name);
    return s == null ? new JsonObject() : s;
  }

  private String string(String section, String key, String fallback) {
    Object v = section(section).getValue(key);
    return v == null ? fallback : v.toString();
  }

  private int integer(String section, String key, int fallback) {
    Object v = section(section).getValue(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.intValue();
    }
    try {
      return Integer.parseInt(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(section + "." + key + " must be a whole number, got '" + v + "'");
    }
  }
}
