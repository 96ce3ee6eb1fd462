package k8s;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment a container starts with, as far as the manifests tell, built the way the kubelet builds it:
 * the envFrom sources in order, then env (which wins), with $(VAR) references expanded. A value the manifests
 * cannot tell (a Secret that is not rendered, the pod's IP or name) is {@link #UNKNOWN}.
 */
final class ContainerEnvironment {

  static final String UNKNOWN = "<known at run time>";
  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  private ContainerEnvironment() {
  }

  static Map<String, String> of(Manifests manifests, JsonNode container, String namespace) {
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode source : container.path("envFrom")) {
      String prefix = source.path("prefix").asText("");
      if (source.has("configMapRef")) {
        manifests.find("ConfigMap", source.at("/configMapRef/name").asText())
            .ifPresent(map -> map.path("data").fields().forEachRemaining(e -> env.put(prefix + e.getKey(), e.getValue().asText())));
      }
      if (source.has("secretRef")) {
        manifests.find("Secret", source.at("/secretRef/name").asText())
            .ifPresent(secret -> secretValues(secret).forEach((k, v) -> env.put(prefix + k, v)));
      }
    }
    for (JsonNode variable : container.path("env")) {
      String name = variable.path("name").asText();
      if (variable.has("value")) {
        env.put(name, expand(variable.path("value").asText(), env));
      } else {
        env.put(name, valueFrom(manifests, variable.path("valueFrom"), namespace));
      }
    }
    return env;
  }

  /** Names of the Secrets a container reads, by envFrom or by key. */
  static List<String> secretsReadBy(JsonNode container) {
    List<String> names = new ArrayList<>();
    container.path("envFrom").forEach(s -> {
      if (s.has("secretRef")) {
        names.add(s.at("/secretRef/name").asText());
      }
    });
    container.path("env").forEach(v -> {
      if (v.at("/valueFrom/secretKeyRef").isObject()) {
        names.add(v.at("/valueFrom/secretKeyRef/name").asText());
      }
    });
    return names;
  }

  static Map<String, String> secretValues(JsonNode secret) {
    Map<String, String> values = new LinkedHashMap<>();
    secret.path("data").fields().forEachRemaining(e ->
        values.put(e.getKey(), new String(Base64.getMimeDecoder().decode(e.getValue().asText()), StandardCharsets.UTF_8)));
    secret.path("stringData").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
    return values;
  }

  private static String valueFrom(Manifests manifests, JsonNode from, String namespace) {
    if (from.has("fieldRef")) {
      return "metadata.namespace".equals(from.at("/fieldRef/fieldPath").asText()) ? namespace : UNKNOWN;
    }
    if (from.has("secretKeyRef")) {
      return manifests.find("Secret", from.at("/secretKeyRef/name").asText())
          .map(s -> secretValues(s).getOrDefault(from.at("/secretKeyRef/key").asText(), UNKNOWN)).orElse(UNKNOWN);
    }
    if (from.has("configMapKeyRef")) {
      return manifests.find("ConfigMap", from.at("/configMapKeyRef/name").asText())
          .map(m -> m.path("data").path(from.at("/configMapKeyRef/key").asText()).asText(UNKNOWN)).orElse(UNKNOWN);
    }
    return UNKNOWN;
  }

  private static String expand(String value, Map<String, String> env) {
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = env.getOrDefault(m.group(1), m.group());
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
