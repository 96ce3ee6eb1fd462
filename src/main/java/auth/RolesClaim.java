package auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.Set;

/**
 * The one claim that lists a caller's roles, named by a dotted path ({@code realm_access.roles} for Keycloak,
 * {@code roles} for a flat claim). Only that claim counts: a token cannot pick up roles from a second place.
 */
public final class RolesClaim {

  private final String[] path;

  public RolesClaim(String dottedPath) {
    String trimmed = dottedPath == null ? "" : dottedPath.trim();
    if (trimmed.isEmpty() || trimmed.startsWith(".") || trimmed.endsWith(".") || trimmed.contains("..")) {
      throw new config.ConfigException("ROSTER_OIDC_ROLES_CLAIM must be a claim name or a dotted path such as "
          + "realm_access.roles, got '" + dottedPath + "'");
    }
    this.path = trimmed.split("\\.");
  }

  /** The roles the claim lists (its string entries); none when the token lacks it or it is not a list. */
  public Set<String> of(JsonObject claims) {
    Object node = claims;
    for (String name : path) {
      if (!(node instanceof JsonObject object)) {
        return Set.of();
      }
      node = object.getValue(name);
    }
    if (!(node instanceof JsonArray list)) {
      return Set.of();
    }
    Set<String> roles = new HashSet<>();
    for (Object role : list) {
      if (role instanceof String name) {
        roles.add(name);
      }
    }
    return Set.copyOf(roles);
  }

  /** Puts roles where {@link #of} reads them (start-dev's issuer). */
  public JsonObject put(JsonObject claims, Set<String> roles) {
    JsonObject parent = claims;
    for (int i = 0; i < path.length - 1; i++) {
      JsonObject child = parent.getJsonObject(path[i]);
      if (child == null) {
        child = new JsonObject();
        parent.put(path[i], child);
      }
      parent = child;
    }
    parent.put(path[path.length - 1], new JsonArray(java.util.List.copyOf(roles)));
    return claims;
  }
}
