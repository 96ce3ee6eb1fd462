package k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;

/** The objects of one rendered folder (or of a YAML text written by a test), as JSON trees. */
record Manifests(String source, List<ObjectNode> objects) {

  static final ObjectMapper JSON = new ObjectMapper();

  static Manifests parse(String source, String yaml) {
    List<ObjectNode> objects = new ArrayList<>();
    for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
      if (document != null) {
        objects.add((ObjectNode) JSON.valueToTree(document));
      }
    }
    return new Manifests(source, List.copyOf(objects));
  }

  List<ObjectNode> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  Optional<ObjectNode> find(String kind, String name) {
    return ofKind(kind).stream().filter(o -> name.equals(nameOf(o))).findFirst();
  }

  ObjectNode require(String kind, String name) {
    return find(kind, name).orElseThrow(() -> new AssertionError(kind + "/" + name + " is not in " + source));
  }

  /** Deployments and StatefulSets with their pod template, the role of Roster pods read from their label. */
  List<Workload> workloads() {
    return objects.stream()
        .filter(o -> List.of("Deployment", "StatefulSet", "DaemonSet").contains(o.path("kind").asText()))
        .map(o -> new Workload(o.path("kind").asText() + "/" + nameOf(o), o.at("/metadata/namespace").asText("default"),
            o.at("/spec/template"), o.at("/spec/template/metadata/labels/app.kubernetes.io~1component").asText("")))
        .toList();
  }

  static String nameOf(JsonNode object) {
    return object.at("/metadata/name").asText();
  }

  static String describe(JsonNode object) {
    return object.path("apiVersion").asText() + " " + object.path("kind").asText() + "/" + nameOf(object);
  }

  /** A pod template: its containers, init containers first. */
  record Workload(String name, String namespace, JsonNode template, String role) {

    JsonNode podSpec() {
      return template.path("spec");
    }

    List<JsonNode> containers() {
      List<JsonNode> all = new ArrayList<>();
      podSpec().path("initContainers").forEach(all::add);
      podSpec().path("containers").forEach(all::add);
      return all;
    }

    /** The long-running containers (the ones that can have probes). */
    List<JsonNode> mainContainers() {
      List<JsonNode> main = new ArrayList<>();
      podSpec().path("containers").forEach(main::add);
      return main;
    }

    List<JsonNode> rosterContainers() {
      return containers().stream().filter(Workload::runsRoster).toList();
    }

    boolean runsRoster() {
      return !rosterContainers().isEmpty();
    }

    /** The application image is `roster-service`, possibly behind a registry path, with any tag. */
    static boolean runsRoster(JsonNode container) {
      String image = container.path("image").asText();
      String withoutTag = image.replaceFirst(":[^:/]*$", "");
      return withoutTag.equals("roster-service") || withoutTag.endsWith("/roster-service");
    }

    boolean mountsEmptyDirAt(JsonNode container, String path) {
      for (JsonNode mount : container.path("volumeMounts")) {
        if (path.equals(mount.path("mountPath").asText())) {
          String volume = mount.path("name").asText();
          return StreamSupport.stream(podSpec().path("volumes").spliterator(), false)
              .anyMatch(v -> volume.equals(v.path("name").asText()) && v.has("emptyDir"));
        }
      }
      return false;
    }
  }
}
