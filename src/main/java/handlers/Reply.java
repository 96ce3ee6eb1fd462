package handlers;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import web.Responses;

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

  static <T> void created(RoutingContext rc, Future<T> result, Function<T, JsonObject> toJson, String collection) {
    result.onSuccess(value -> {
      JsonObject body = toJson.apply(value);
      Responses.created(rc, collection + "/" + body.getString("id"), body);
    }).onFailure(rc::fail);
  }
}
