package support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON request bodies that openapi.yaml declares, as a list of their top-level fields: what the bad-input
 * tests feed bad values to. Read from the contract, so a field added there is tested without anyone
 * remembering to.
 */
public final class ContractBodies {

  /** One property of one operation's request body. */
  public record Field(String operationId, String method, String name, JsonObject schema) {

    /** A string, or an array of strings (the bad value goes in as its only item). */
    public boolean takesText() {
      return isType(schema, "string") || isStringArray();
    }

    public boolean isStringArray() {
      return isType(schema, "array") && isType(schema.getJsonObject("items", new JsonObject()), "string");
    }

    /** The declared format of a string field, or null. */
    public String format() {
      return isType(schema, "string") ? schema.getString("format") : null;
    }

    @Override
    public String toString() {
      return operationId + "." + name;
    }
  }

  private ContractBodies() {
  }

  public static List<Field> fields() {
    JsonObject contract = load();
    JsonObject schemas = contract.getJsonObject("components").getJsonObject("schemas");
    List<Field> fields = new ArrayList<>();
    contract.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(entry -> {
      if (!(entry.getValue() instanceof JsonObject op) || !op.containsKey("requestBody")) {
        return;
      }
      JsonObject media = op.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json");
      JsonObject body = resolve(schemas, media.getJsonObject("schema"));
      body.getJsonObject("properties", new JsonObject()).forEach(p -> fields.add(new Field(op.getString("operationId"),
          entry.getKey().toUpperCase(), p.getKey(), resolve(schemas, (JsonObject) p.getValue()))));
    }));
    return fields;
  }

  /** The schema a {@code $ref} names, and an array's items likewise (the enums of {@code channels} are named). */
  private static JsonObject resolve(JsonObject schemas, JsonObject schema) {
    String ref = schema.getString("$ref");
    JsonObject resolved = ref == null ? schema : schemas.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
    JsonObject items = resolved.getJsonObject("items");
    return items == null || !items.containsKey("$ref") ? resolved
        : resolved.copy().put("items", resolve(schemas, items));
  }

  private static boolean isType(JsonObject schema, String type) {
    Object declared = schema.getValue("type");
    return type.equals(declared) || declared instanceof JsonArray types && types.contains(type);
  }

  @SuppressWarnings("unchecked")
  private static JsonObject load() {
    try (InputStream in = ContractBodies.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is not on the class path");
      }
      return new JsonObject((Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
