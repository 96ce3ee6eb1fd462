package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import config.ConfigLoader;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Every ROSTER_* variable a manifest sets must be one the service reads ({@link ConfigLoader#environmentVariables()}),
 * and every OTEL_* one an OpenTelemetry variable it documents ({@link tracing.TracingSdk#VARIABLES}): a misspelt
 * name is otherwise ignored without a word, and the pod runs with the default.
 */
final class RosterVariables {

  static final String PREFIX = "ROSTER_";
  static final String OTEL_PREFIX = "OTEL_";

  private RosterVariables() {
  }

  static Set<String> known() {
    return ConfigLoader.environmentVariables().keySet();
  }

  /** One line per unknown name, saying where it is set. */
  static List<String> unknown(Manifests manifests) {
    Set<String> problems = new LinkedHashSet<>();
    for (Manifests.Workload workload : manifests.workloads()) {
      for (JsonNode container : workload.containers()) {
        String where = workload.name() + " container " + container.path("name").asText();
        for (JsonNode variable : container.path("env")) {
          check(variable.path("name").asText(), where + " env", problems);
        }
        if (Manifests.Workload.runsRoster(container)) {
          // a ConfigMap or Secret taken whole becomes variables key by key: every key must be a setting
          for (JsonNode source : container.path("envFrom")) {
            String prefix = source.path("prefix").asText("");
            String kind = source.has("configMapRef") ? "ConfigMap" : "Secret";
            String name = source.path(source.has("configMapRef") ? "configMapRef" : "secretRef").path("name").asText();
            manifests.find(kind, name).ifPresent(object -> keysOf(object).forEach(key ->
                checkWhole(prefix + key, where + " envFrom " + kind + "/" + name, problems)));
          }
        }
      }
    }
    for (JsonNode object : manifests.objects()) {
      String kind = object.path("kind").asText();
      if (kind.equals("ConfigMap") || kind.equals("Secret")) {
        keysOf(object).forEach(key -> check(key, kind + "/" + Manifests.nameOf(object), problems));
      }
    }
    return new ArrayList<>(problems);
  }

  private static void check(String name, String where, Set<String> problems) {
    if (name.startsWith(OTEL_PREFIX)) {
      checkWhole(name, where, problems);
    } else if (name.startsWith(PREFIX) && !known().contains(name)) {
      problems.add(where + ": " + name + " is not a setting of the service (conf/application.yaml lists them)");
    }
  }

  private static void checkWhole(String name, String where, Set<String> problems) {
    if (name.startsWith(OTEL_PREFIX) && !tracing.TracingSdk.VARIABLES.contains(name)) {
      problems.add(where + ": " + name + " is not an OpenTelemetry variable the service reads (README, Tracing)");
    } else if (!name.startsWith(OTEL_PREFIX) && !known().contains(name)) {
      problems.add(where + ": " + name + " is not a setting of the service (conf/application.yaml lists them)");
    }
  }

  static List<String> keysOf(JsonNode configMapOrSecret) {
    List<String> keys = new ArrayList<>();
    for (String field : List.of("data", "stringData", "binaryData")) {
      Iterator<String> names = configMapOrSecret.path(field).fieldNames();
      names.forEachRemaining(keys::add);
    }
    return keys;
  }
}
