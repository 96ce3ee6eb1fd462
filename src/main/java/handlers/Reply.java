package handlers;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import web.JsonBody;
import web.Responses;

import java.util.UUID;
import java.util.function.Function;

/** Ends a request with a service's result, or hands its failure to the problem handler. */
final class Reply {

  private Reply() {
  }

  static <T> void ok(RoutingContext rc, Future<T> result, Function<T, JsonObject> toJson) {
    result.onSuccess(value -> Responses.ok(rc, toJson.apply(value))).onFailure(rc::fail);
  }

  static void ok(RoutingContext rc, Future<JsonObject> result) {
    ok(rc, result, Function.identity());
  }

  /** For a value that writes its own JSON: no JsonObject tree is built. */
  static void okStreamed(RoutingContext rc, Future<? extends JsonBody> result) {
    result.onSuccess(value -> Responses.ok(rc, value)).onFailure(rc::fail);
  }

  static <T extends JsonBody> void createdStreamed(RoutingContext rc, Future<T> result, Function<T, UUID> id,
                                                   String collection) {
    result.onSuccess(value -> Responses.created(rc, collection + "/" + id.apply(value), value)).onFailure(rc::fail);
  }

  static <T> void created(RoutingContext rc, Future<T> result, Function<T, JsonObject> toJson, String collection) {
    result.onSuccess(value -> {
      JsonObject body = toJson.apply(value);
      Responses.created(rc, collection + "/" + body.getString("id"), body);
    }).onFailure(rc::fail);
  }
}
