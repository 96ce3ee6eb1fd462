package validation;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.impl.Utils;
import validation.Keywords.Keyword;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a schema of openapi.yaml (as the contract loaded it, references resolved) into a tree of
 * {@link Keywords} checkers, once, at start-up. It knows exactly the keywords below; a schema using any other
 * validation keyword is refused with an {@link UncompilableSchemaException}, so the contract cannot grow a rule the
 * compiled validator would silently skip. Annotations (description, example...) and the loader's own
 * {@code __name__} entries are ignored, as the interpreter ignores them.
 */
final class SchemaCompiler {

  /** What a schema may say that validates nothing. */
  private static final Set<String> ANNOTATIONS = Set.of("description", "example", "examples", "title", "default",
      "deprecated", "readOnly", "writeOnly", "$comment");
  private static final Set<String> KEYWORDS = Set.of("type", "enum", "required", "properties", "additionalProperties",
      "minimum", "maximum", "minLength", "maxLength", "pattern", "format");
  private static final Set<String> TYPES = Set.of("null", "boolean", "object", "array", "number", "string", "integer");
  /** Formats whose rule is vertx-json-schema's string check, which {@link Keywords.Formatted} calls. */
  private static final Set<String> FORMATS = Set.of("uuid", "date-time", "date", "time", "duration", "email",
      "hostname", "ipv4", "ipv6", "uri", "uri-reference");

  private final String where;

  private SchemaCompiler(String where) {
    this.where = where;
  }

  /**
   * @param schema a schema object (or boolean schema) of the resolved contract
   * @param where  what the schema belongs to, for the refusal's message (e.g. "createBooking request body")
   */
  static Schema compile(Object schema, String where) {
    return new SchemaCompiler(where).node(schema, "#");
  }

  private Schema node(Object schema, String path) {
    if (schema instanceof Boolean b) {
      return b ? Schema.TRUE : Schema.FALSE;
    }
    if (!(schema instanceof JsonObject json)) {
      throw refuse(path, "is not a schema object");
    }
    for (String key : json.fieldNames()) {
      if (!KEYWORDS.contains(key) && !ANNOTATIONS.contains(key) && !isLoaderEntry(key)) {
        throw refuse(path, "uses the keyword \"" + key + "\", which the compiled validator does not know");
      }
    }
    List<Keyword> keywords = new ArrayList<>();
    // the interpreter's order: type, enum, then the object, number and string keywords
    if (json.containsKey("type")) {
      keywords.add(type(json.getValue("type"), path));
    }
    if (json.containsKey("enum")) {
      keywords.add(enumeration(json.getValue("enum"), path));
    }
    if (json.containsKey("required")) {
      keywords.add(new Keywords.Required(strings(json.getValue("required"), path + "/required"), path + "/required"));
    }
    if (json.containsKey("properties") || json.containsKey("additionalProperties")) {
      keywords.add(properties(json, path));
    }
    if (json.containsKey("minimum")) {
      keywords.add(new Keywords.Minimum(number(json, "minimum", path), path + "/minimum"));
    }
    if (json.containsKey("maximum")) {
      keywords.add(new Keywords.Maximum(number(json, "maximum", path), path + "/maximum"));
    }
    if (json.containsKey("minLength")) {
      keywords.add(new Keywords.MinLength(number(json, "minLength", path), path + "/minLength"));
    }
    if (json.containsKey("maxLength")) {
      keywords.add(new Keywords.MaxLength(number(json, "maxLength", path), path + "/maxLength"));
    }
    if (json.containsKey("pattern")) {
      keywords.add(new Keywords.Matches(pattern(json.getValue("pattern"), path), path + "/pattern"));
    }
    if (json.containsKey("format")) {
      Object format = json.getValue("format");
      if (!(format instanceof String name) || !FORMATS.contains(name)) {
        throw refuse(path, "uses the format " + Json.encode(format) + ", which the compiled validator does not know");
      }
      keywords.add(new Keywords.Formatted(name, "String does not match format \"" + name + "\"", path + "/format"));
    }
    return new Keywords.Node(keywords);
  }

  private Keyword type(Object type, String path) {
    List<String> names = type instanceof String one ? List.of(one) : strings(type, path + "/type");
    for (String name : names) {
      if (!TYPES.contains(name)) {
        throw refuse(path, "has the unknown type \"" + name + "\"");
      }
    }
    return new Keywords.Type(Set.copyOf(names), String.join(", ", names), path + "/type");
  }

  private Keyword enumeration(Object values, String path) {
    if (!(values instanceof JsonArray array) || array.isEmpty()
        || !array.stream().allMatch(v -> v instanceof String)) {
      throw refuse(path, "has an enum that is not a list of strings, which the compiled validator does not know");
    }
    return new Keywords.Enum(new LinkedHashSet<>(strings(array, path)), "Instance does not match any of "
        + Json.encode(array), path + "/enum");
  }

  private Keyword properties(JsonObject json, String path) {
    Map<String, Schema> properties = new LinkedHashMap<>();
    Map<String, String> pointers = new LinkedHashMap<>();
    Object declared = json.getValue("properties", new JsonObject());
    if (!(declared instanceof JsonObject declaredObject)) {
      throw refuse(path, "has properties that are not an object");
    }
    for (String name : declaredObject.fieldNames()) {
      String pointer = Utils.Pointers.encode(name);
      pointers.put(name, pointer);
      properties.put(name, node(declaredObject.getValue(name), path + "/properties/" + pointer));
    }
    Schema additional = json.containsKey("additionalProperties")
        ? node(json.getValue("additionalProperties"), path + "/additionalProperties") : null;
    return new Keywords.Properties(properties, pointers, additional, path);
  }

  private Number number(JsonObject json, String key, String path) {
    if (!(json.getValue(key) instanceof Number n)) {
      throw refuse(path, "has a " + key + " that is not a number");
    }
    return n;
  }

  private Pattern pattern(Object pattern, String path) {
    if (!(pattern instanceof String regex)) {
      throw refuse(path, "has a pattern that is not a string");
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw refuse(path, "has a pattern Java cannot compile: " + e.getDescription());
    }
  }

  private List<String> strings(Object values, String path) {
    if (!(values instanceof JsonArray array) || !array.stream().allMatch(v -> v instanceof String)) {
      throw refuse(path, "is not a list of strings");
    }
    List<String> out = new ArrayList<>(array.size());
    array.forEach(v -> out.add((String) v));
    return out;
  }

  /** The contract loader marks resolved references with entries such as {@code __absolute_uri__}. */
  private static boolean isLoaderEntry(String key) {
    return key.length() > 4 && key.startsWith("__") && key.endsWith("__");
  }

  private UncompilableSchemaException refuse(String path, String why) {
    return new UncompilableSchemaException("openapi.yaml, " + where + ", schema at " + path + " " + why
        + ": teach validation.SchemaCompiler that keyword (and compare it with the interpreter in "
        + "CompiledValidationParityTest), or take the operation out of CompiledValidation.OPERATIONS");
  }
}
