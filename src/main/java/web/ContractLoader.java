package web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.impl.Utils;

/**
 * Loads openapi.yaml for the Vert.x 5.0.7 router. The published file is the partner contract and stays as it
 * is; only the in-memory copy handed to vertx-openapi is adapted to two limits of that library:
 * 1. it refuses to load a contract whose responses use {@code application/problem+json} (not in its list of
 *    supported media types), so those entries are renamed to {@code application/json} (responses are not
 *    validated by the router anyway);
 * 2. it URL-decodes query values a second time (eclipse-vertx/vertx-openapi#117), so {@code from=...%2B01:00}
 *    would arrive as {@code "... 01:00"} and fail {@code format: date-time}: the format is dropped from
 *    date-time query parameters, and the handler parses them itself from {@code rc.queryParams()}.
 */
public final class ContractLoader {
  private ContractLoader() {}

  public static Future<OpenAPIContract> load(Vertx vertx, String path) {
    return Utils.readYamlOrJson(vertx, path).compose(spec -> OpenAPIContract.from(vertx, adapt(spec)))
        .map(CachingContract::new);
  }

  static JsonObject adapt(JsonObject spec) {
    JsonObject components = spec.getJsonObject("components", new JsonObject());
    components.getJsonObject("responses", new JsonObject()).forEach(e -> renameProblem((JsonObject) e.getValue()));
    spec.getJsonObject("paths", new JsonObject()).forEach(p -> ((JsonObject) p.getValue()).forEach(entry -> {
      if (!(entry.getValue() instanceof JsonObject op)) {
        return;
      }
      JsonObject responses = op.getJsonObject("responses");
      if (responses != null) {
        responses.forEach(r -> renameProblem((JsonObject) r.getValue()));
      }
      JsonArray params = op.getJsonArray("parameters");
      if (params != null) {
        params.forEach(x -> {
          JsonObject param = (JsonObject) x;
          JsonObject schema = param.getJsonObject("schema");
          if ("query".equals(param.getString("in")) && schema != null && "date-time".equals(schema.getString("format"))) {
            schema.remove("format");
          }
        });
      }
    }));
    return spec;
  }

  private static void renameProblem(JsonObject response) {
    JsonObject content = response.getJsonObject("content");
    if (content != null && content.containsKey("application/problem+json")) {
      content.put("application/json", content.remove("application/problem+json"));
    }
  }
}
