package web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.impl.Utils;

/**
 * Loads openapi.yaml for the Vert.x 5.0.7 router. The published file is the partner contract and stays as it
 * is; only the in-memory copy handed to vertx-openapi is adapted to four limits of that library:
 * 1. it refuses to load a contract whose responses use {@code application/problem+json} (not in its list of
 *    supported media types), so those entries are renamed to {@code application/json} (responses are not
 *    validated by the router anyway);
 * 2. it URL-decodes query values a second time (eclipse-vertx/vertx-openapi#117), so {@code from=...%2B01:00}
 *    would arrive as {@code "... 01:00"} and fail {@code format: date-time}: the format is dropped from
 *    date-time query parameters, and the handler parses them itself from {@code rc.queryParams()};
 * 3. its {@code format: email} check throws on an empty string (it reads the first character first), which
 *    would be a 500: the format is checked only on non-empty strings, and an empty one fails {@code minLength};
 * 4. it runs {@code pattern} with Java's regex, whose {@code $} also matches before a final line break, so
 *    {@code "18:00\n"} would pass {@code ^...$}: a pattern's final {@code $} becomes {@code \z}, the end of the
 *    string, which is what {@code $} means in the ECMA-262 regexes of JSON Schema;
 * 5. it checks a server's {@code url} as a URI reference, so a templated one ({@code {scheme}://{host}}, which
 *    OpenAPI allows and the contract uses: each club runs its own deployment) fails to load: each variable is
 *    replaced by its default (the routes only use the URL's path, which has no variable).
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
    schemas(spec);
    spec.getJsonArray("servers", new JsonArray()).forEach(server -> withDefaults((JsonObject) server));
    return spec;
  }

  /** Item 5 above: {@code {scheme}://{host}} becomes {@code https://<the default of host>}. */
  private static void withDefaults(JsonObject server) {
    JsonObject variables = (JsonObject) server.remove("variables");
    if (variables != null) {
      String url = server.getString("url");
      for (String name : variables.fieldNames()) {
        url = url.replace("{" + name + "}", variables.getJsonObject(name).getString("default"));
      }
      server.put("url", url);
    }
  }

  /** Items 3 and 4 above, on every schema anywhere in the contract. */
  private static void schemas(Object node) {
    if (node instanceof JsonObject object) {
      object.forEach(e -> schemas(e.getValue())); // children first: the schema added below is not visited again
      if ("email".equals(object.getValue("format"))) {
        object.remove("format");
        object.put("if", new JsonObject().put("minLength", 1))
            .put("then", new JsonObject().put("format", "email"))
            .put("else", new JsonObject().put("minLength", 1));
      }
      if (object.getValue("pattern") instanceof String pattern && endsWithAnchor(pattern)) {
        object.put("pattern", pattern.substring(0, pattern.length() - 1) + "\\z");
      }
    } else if (node instanceof JsonArray array) {
      array.forEach(ContractLoader::schemas);
    }
  }

  /** Ends with a {@code $} that is not escaped (preceded by an even number of backslashes). */
  private static boolean endsWithAnchor(String pattern) {
    if (!pattern.endsWith("$")) {
      return false;
    }
    int backslashes = 0;
    for (int i = pattern.length() - 2; i >= 0 && pattern.charAt(i) == '\\'; i--) {
      backslashes++;
    }
    return backslashes % 2 == 0;
  }

  private static void renameProblem(JsonObject response) {
    JsonObject content = response.getJsonObject("content");
    if (content != null && content.containsKey("application/problem+json")) {
      content.put("application/json", content.remove("application/problem+json"));
    }
  }
}
