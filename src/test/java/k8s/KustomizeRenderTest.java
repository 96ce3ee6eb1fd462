package k8s;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every folder of k8s/ renders with kubectl kustomize, with current kustomize fields only. */
class KustomizeRenderTest {

  private static final Set<String> DEPRECATED = Set.of("patchesStrategicMerge", "patchesJson6902", "commonLabels", "bases", "vars");
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.BASE, Kustomize.DEV, Kustomize.PRODUCTION})
  void renders(String folder) {
    Manifests manifests = Kustomize.render(folder);

    assertThat(manifests.ofKind("Deployment")).extracting(Manifests::nameOf).contains("roster-api", "roster-worker");
  }

  @ParameterizedTest
  @ValueSource(strings = {Kustomize.DEV + "=roster-dev", Kustomize.PRODUCTION + "=roster"})
  void overlaysPutEverythingInTheirNamespace(String folderAndNamespace) {
    String[] parts = folderAndNamespace.split("=");
    List<String> elsewhere = Kustomize.render(parts[0]).objects().stream()
        .filter(o -> !CLUSTER_SCOPED.contains(o.path("kind").asText()))
        .filter(o -> !parts[1].equals(o.at("/metadata/namespace").asText()))
        .map(Manifests::describe).toList();

    assertThat(elsewhere).as("objects outside namespace " + parts[1]).isEmpty();
  }

  @Test
  void devCreatesItsNamespace() {
    assertThat(Kustomize.render(Kustomize.DEV).find("Namespace", "roster-dev")).isPresent();
  }

  @Test
  void kustomizationsUseNoDeprecatedField() throws IOException {
    List<Path> kustomizations;
    try (Stream<Path> files = Files.walk(Kustomize.K8S)) {
      kustomizations = files.filter(f -> f.getFileName().toString().equals("kustomization.yaml")).toList();
    }
    assertThat(kustomizations).hasSizeGreaterThanOrEqualTo(3);
    for (Path file : kustomizations) {
      Map<String, Object> kustomization = new Yaml().load(Files.readString(file));
      assertThat(kustomization.keySet()).as(file.toString()).doesNotContainAnyElementsOf(DEPRECATED);
    }
  }

  @Test
  void aBrokenKustomizationFailsWithKubectlsReason(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - missing.yaml\n");

    assertThatThrownBy(() -> Kustomize.render(dir.toAbsolutePath().toString()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("kubectl kustomize " + dir.toAbsolutePath() + " failed")
        .hasMessageContaining("missing.yaml");
  }
}
