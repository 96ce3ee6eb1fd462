package web;

import auth.Caller;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/** Reads the contract-validated parts of a request; handlers never parse raw input themselves. */
public final class Requests {

  public static final int DEFAULT_LIMIT = 20;

  private Requests() {
  }

  public static Caller caller(RoutingContext rc) {
    return rc.get(Caller.KEY);
  }

  public static JsonObject body(RoutingContext rc) {
    RequestParameter body = validated(rc).getBody();
    return body == null || body.isNull() ? new JsonObject() : body.getJsonObject();
  }

  public static UUID pathId(RoutingContext rc) {
    return UUID.fromString(validated(rc).getPathParameters().get("id").getString());
  }

  /** A second id in the path, e.g. {deliveryId} beside {id}. */
  public static UUID pathId(RoutingContext rc, String name) {
    return UUID.fromString(validated(rc).getPathParameters().get(name).getString());
  }

  public static String query(RoutingContext rc, String name) {
    RequestParameter p = param(validated(rc).getQuery(), name);
    return p == null ? null : p.getString();
  }

  public static UUID queryUuid(RoutingContext rc, String name) {
    String value = query(rc, name);
    return value == null ? null : UUID.fromString(value);
  }

  /** Read from the raw query: the contract leaves date-time query values to us (see ContractLoader). */
  public static OffsetDateTime queryTime(RoutingContext rc, String name) {
    String value = rc.queryParams().get(name);
    return value == null || value.isEmpty() ? null : Json.parseTime(name, value);
  }

  public static int limit(RoutingContext rc) {
    RequestParameter p = param(validated(rc).getQuery(), "limit");
    return p == null ? DEFAULT_LIMIT : p.getInteger();
  }

  public static Cursor cursor(RoutingContext rc) {
    return Cursor.decode(query(rc, "cursor"));
  }

  private static RequestParameter param(Map<String, RequestParameter> params, String name) {
    RequestParameter p = params.get(name);
    return p == null || p.isNull() || p.isEmpty() ? null : p;
  }

  private static ValidatedRequest validated(RoutingContext rc) {
    return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }
}
