package contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares the JSON bodies of each baseline operation with the current contract's. A request may accept more than
 * before, never less: no type, enum value or property dropped, no bound tightened, no new required field. A
 * response may say more than before, never less: no field dropped or made optional, no enum value dropped, no
 * type it did not have.
 */
final class Schemas {

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch");
  /** Each bound a request schema may carry; true: a lower bound (raising it narrows), false: an upper one. */
  private static final Map<String, Boolean> BOUNDS = Map.of("minimum", true, "exclusiveMinimum", true,
      "minLength", true, "minItems", true, "minProperties", true, "maximum", false, "exclusiveMaximum", false,
      "maxLength", false, "maxItems", false);

  private final JsonObject before;
  private final JsonObject after;
  private final List<String> breaking;

  Schemas(JsonObject before, JsonObject after, List<String> breaking) {
    this.before = before;
    this.after = after;
    this.breaking = breaking;
  }

  /** Each operation of the baseline that still exists; a missing one is openapi-diff's finding. */
  void operations() {
    before.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(entry -> {
      JsonObject now = after.getJsonObject("paths").getJsonObject(path.getKey());
      if (!METHODS.contains(entry.getKey()) || now == null || now.getJsonObject(entry.getKey()) == null) {
        return;
      }
      JsonObject was = (JsonObject) entry.getValue();
      JsonObject is = now.getJsonObject(entry.getKey());
      String where = entry.getKey().toUpperCase() + " " + path.getKey();
      JsonObject oldBody = body(was.getJsonObject("requestBody"));
      JsonObject newBody = body(is.getJsonObject("requestBody"));
      if (oldBody != null && newBody != null) {
        request(oldBody, newBody, where + " request");
      }
      was.getJsonObject("responses", new JsonObject()).forEach(status -> {
        JsonObject oldResponse = body((JsonObject) status.getValue());
        JsonObject newResponse = body(is.getJsonObject("responses", new JsonObject()).getJsonObject(status.getKey()));
        if (status.getKey().startsWith("2") && oldResponse != null && newResponse != null) {
          response(oldResponse, newResponse, where + " " + status.getKey());
        }
      });
    }));
  }

  /** The application/json schema of a request body or response, or null. */
  private static JsonObject body(JsonObject bodyOrResponse) {
    if (bodyOrResponse == null) {
      return null;
    }
    JsonObject media = bodyOrResponse.getJsonObject("content", new JsonObject()).getJsonObject("application/json");
    return media == null ? null : media.getJsonObject("schema");
  }

  private void request(JsonObject oldSchema, JsonObject newSchema, String where) {
    compare(oldSchema, newSchema, where, 0, true);
  }

  private void response(JsonObject oldSchema, JsonObject newSchema, String where) {
    compare(oldSchema, newSchema, where, 0, false);
  }

  /** One schema and, below it, its properties, items and alternatives, as a request's or a response's. */
  private void compare(JsonObject oldSchema, JsonObject newSchema, String where, int depth, boolean request) {
    if (depth > 10) {
      return;
    }
    JsonObject was = resolve(before, oldSchema);
    JsonObject is = resolve(after, newSchema);
    enums(was, is, where);
    if (request) {
      acceptsAsMuch(was, is, where);
    } else {
      promisesAsMuch(was, is, where);
    }
    JsonObject newProperties = is.getJsonObject("properties", new JsonObject());
    was.getJsonObject("properties", new JsonObject()).forEach(p -> {
      if (newProperties.containsKey(p.getKey())) {
        compare((JsonObject) p.getValue(), newProperties.getJsonObject(p.getKey()), where + "." + p.getKey(),
            depth + 1, request);
      } else if (!request) {
        breaking.add(where + ": field removed: " + p.getKey());
      } else if (Boolean.FALSE.equals(is.getValue("additionalProperties"))) {
        breaking.add(where + ": no longer accepts " + p.getKey());
      }
    });
    if (was.getJsonObject("items") != null && is.getJsonObject("items") != null) {
      compare(was.getJsonObject("items"), is.getJsonObject("items"), where + "[]", depth + 1, request);
    }
    JsonArray oldChoices = was.getJsonArray("oneOf");
    JsonArray newChoices = is.getJsonArray("oneOf");
    if (oldChoices != null && newChoices != null && oldChoices.size() == newChoices.size()) {
      for (int i = 0; i < oldChoices.size(); i++) {
        compare(oldChoices.getJsonObject(i), newChoices.getJsonObject(i), where + " oneOf[" + i + "]", depth + 1,
            request);
      }
    } else if (oldChoices != null) {
      breaking.add(where + ": oneOf changed from " + oldChoices + " to " + newChoices);
    }
  }

  /** A request: no type dropped, no bound tightened, no pattern changed, no field newly required. */
  private void acceptsAsMuch(JsonObject was, JsonObject is, String where) {
    Set<String> types = types(is);
    if (types != null && (types(was) == null || !types.containsAll(types(was)))) {
      breaking.add(where + ": accepts only " + types + ", was " + types(was));
    }
    for (Map.Entry<String, Boolean> bound : BOUNDS.entrySet()) {
      if (is.getValue(bound.getKey()) instanceof Number now) {
        Object then = was.getValue(bound.getKey());
        boolean tighter = !(then instanceof Number old) || (bound.getValue()
            ? now.doubleValue() > old.doubleValue() : now.doubleValue() < old.doubleValue());
        if (tighter) {
          breaking.add(where + ": " + bound.getKey() + " " + now + ", was " + then);
        }
      }
    }
    if (is.getValue("pattern") != null && !is.getValue("pattern").equals(was.getValue("pattern"))) {
      breaking.add(where + ": pattern " + is.getValue("pattern") + ", was " + was.getValue("pattern"));
    }
    Set<String> required = names(is.getJsonArray("required"));
    required.removeAll(names(was.getJsonArray("required")));
    if (!required.isEmpty()) {
      breaking.add(where + ": newly required " + required);
    }
  }

  /** A response: no type it did not have, no field that was always sent made optional. */
  private void promisesAsMuch(JsonObject was, JsonObject is, String where) {
    Set<String> oldTypes = types(was);
    Set<String> newTypes = types(is);
    if (oldTypes != null && (newTypes == null || !oldTypes.containsAll(newTypes))) {
      breaking.add(where + ": may be " + newTypes + ", was " + oldTypes);
    }
    Set<String> optional = names(was.getJsonArray("required"));
    optional.removeAll(names(is.getJsonArray("required")));
    if (!optional.isEmpty()) {
      breaking.add(where + ": no longer always sent " + optional);
    }
  }

  /** An enum value of the baseline that is gone, in a request or a response. */
  private void enums(JsonObject was, JsonObject is, String where) {
    JsonArray oldValues = was.getJsonArray("enum");
    JsonArray newValues = is.getJsonArray("enum");
    if (oldValues != null && newValues != null && !newValues.getList().containsAll(oldValues.getList())) {
      Set<Object> gone = new HashSet<>(oldValues.getList());
      gone.removeAll(newValues.getList());
      breaking.add(where + ": enum values removed " + gone);
    } else if (oldValues == null && newValues != null) {
      breaking.add(where + ": now limited to " + newValues);
    }
  }

  /** The schema a $ref names (components/schemas), else the schema itself. */
  private static JsonObject resolve(JsonObject contract, JsonObject schema) {
    String ref = schema.getString("$ref");
    return ref == null ? schema : contract.getJsonObject("components").getJsonObject("schemas")
        .getJsonObject(ref.substring(ref.lastIndexOf('/') + 1), new JsonObject());
  }

  /** The declared types (a string or a list of them), or null when any type is allowed. */
  private static Set<String> types(JsonObject schema) {
    Object type = schema.getValue("type");
    if (type == null) {
      return null;
    }
    Set<String> types = new TreeSet<>();
    if (type instanceof JsonArray list) {
      list.forEach(t -> types.add(String.valueOf(t)));
    } else {
      types.add(String.valueOf(type));
    }
    if (types.contains("number")) {
      types.add("integer");
    }
    return types;
  }

  private static Set<String> names(JsonArray list) {
    Set<String> names = new HashSet<>();
    if (list != null) {
      list.forEach(n -> names.add(String.valueOf(n)));
    }
    return names;
  }
}
