package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every object that is not a core kind must be a custom resource whose JSON schema is in k8s/schemas, at
 * {@code <group>/<kind in lower case>_<version>.json}, and must validate against it.
 */
final class CustomResourceSchemas {

  static final Path SCHEMAS = Kustomize.K8S.resolve("schemas");

  // CRD schemas are OpenAPI v3 schemas, the JSON Schema draft 4 dialect
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
  private static final Map<Path, Schema> LOADED = new ConcurrentHashMap<>();

  private CustomResourceSchemas() {
  }

  static Path schemaOf(JsonNode object) {
    String apiVersion = object.path("apiVersion").asText();
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "core" : apiVersion.substring(0, slash);
    String version = apiVersion.substring(slash + 1);
    return SCHEMAS.resolve(group).resolve(object.path("kind").asText().toLowerCase(Locale.ROOT) + "_" + version + ".json");
  }

  /** One line per object that is neither core nor schema-described, and per schema violation. */
  static List<String> problems(Manifests manifests) {
    List<String> problems = new ArrayList<>();
    for (JsonNode object : manifests.objects()) {
      if (CoreObjects.isCore(object)) {
        continue;
      }
      Path file = schemaOf(object);
      if (!Files.isRegularFile(file)) {
        problems.add(Manifests.describe(object) + ": neither a core kind the tests know nor a custom resource with a "
            + "schema (expected " + file + ")");
        continue;
      }
      for (Error error : LOADED.computeIfAbsent(file, CustomResourceSchemas::load).validate(object.toString(), InputFormat.JSON)) {
        problems.add(Manifests.describe(object) + ": " + error);
      }
    }
    return problems;
  }

  private static Schema load(Path file) {
    try {
      return REGISTRY.getSchema(Files.readString(file), InputFormat.JSON);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
