package contract;

import io.vertx.core.json.JsonObject;
import org.openapitools.openapidiff.core.OpenApiCompare;
import org.openapitools.openapidiff.core.model.ChangedOpenApi;
import org.openapitools.openapidiff.core.output.ConsoleRender;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a contract breaks of a baseline it promised to keep, from three checks:
 * <ul>
 *   <li>openapi-diff's verdict: removed or renamed operations, parameters, responses;</li>
 *   <li>the schemas of request and response bodies ({@link Schemas}): openapi-diff 2.1 does not compare the
 *       schemas of an OpenAPI 3.1 document (type arrays such as {@code [string, 'null']}), so a removed response
 *       field, a removed enum value, a narrowed type or a new required request field pass it unseen;</li>
 *   <li>the error codes, which no tool can see: a {@code code} is a plain string in {@code Problem}, and the codes
 *       each operation may answer are named in its responses' descriptions (`event_full`, ...), so a code the
 *       baseline names for an operation and status must still be named there.</li>
 * </ul>
 */
final class Compatibility {

  /** A code as the descriptions write it, in backticks: snake_case, or one of the one-word codes. */
  private static final Pattern CODE =
      Pattern.compile("`([a-z]+(?:_[a-z]+)+|forbidden|unauthenticated|unavailable|overloaded)`");
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  private Compatibility() {
  }

  /** Each breaking change of {@code current} against {@code baseline} (both YAML or JSON text); empty if none. */
  static List<String> breakingChanges(String baseline, String current) {
    List<String> breaking = new ArrayList<>();
    ChangedOpenApi diff = OpenApiCompare.fromContents(baseline, current);
    if (diff.isCoreChanged().isIncompatible()) {
      breaking.add("openapi-diff: the contract is incompatible with its baseline\n" + new ConsoleRender().render(diff));
    }
    JsonObject before = parse(baseline);
    JsonObject after = parse(current);
    Set<String> now = errorCodes(after);
    for (String code : errorCodes(before)) {
      if (!now.contains(code)) {
        breaking.add("error code no longer answered: " + code);
      }
    }
    new Schemas(before, after, breaking).operations();
    return breaking;
  }

  /** "POST /v1/bookings 409 event_full" for each code each operation's responses name. */
  static Set<String> errorCodes(JsonObject contract) {
    JsonObject responses = contract.getJsonObject("components", new JsonObject())
        .getJsonObject("responses", new JsonObject());
    Set<String> codes = new TreeSet<>();
    contract.getJsonObject("paths", new JsonObject()).forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
      if (!METHODS.contains(op.getKey())) {
        return;
      }
      ((JsonObject) op.getValue()).getJsonObject("responses", new JsonObject()).forEach(status -> {
        if (!status.getKey().startsWith("4") && !status.getKey().startsWith("5")) {
          return;
        }
        JsonObject response = (JsonObject) status.getValue();
        String ref = response.getString("$ref");
        if (ref != null) {
          response = responses.getJsonObject(ref.substring(ref.lastIndexOf('/') + 1), new JsonObject());
        }
        Matcher m = CODE.matcher(response.getString("description", ""));
        while (m.find()) {
          codes.add(op.getKey().toUpperCase() + " " + path.getKey() + " " + status.getKey() + " " + m.group(1));
        }
      });
    }));
    return codes;
  }

  @SuppressWarnings("unchecked")
  static JsonObject parse(String text) {
    return new JsonObject((Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text));
  }
}
