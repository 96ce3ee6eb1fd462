package k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Renders a folder of k8s/ with {@code kubectl kustomize}, as {@code kubectl apply -k} would. Each folder is
 * rendered once per test JVM: the test classes share the result.
 */
final class Kustomize {

  static final Path K8S = Path.of("k8s");
  static final String BASE = "base";
  static final String DEV = "overlays/dev";
  static final String PRODUCTION = "overlays/production";

  private static final Map<String, Manifests> RENDERED = new ConcurrentHashMap<>();

  private Kustomize() {
  }

  static Manifests render(String folder) {
    return RENDERED.computeIfAbsent(folder, Kustomize::run);
  }

  private static Manifests run(String folder) {
    Path dir = K8S.resolve(folder);
    try {
      Path errors = Files.createTempFile("kustomize", ".err");
      Process process;
      try {
        process = new ProcessBuilder("kubectl", "kustomize", dir.toString())
            .redirectError(errors.toFile())
            .start();
      } catch (IOException e) {
        throw new AssertionError("kubectl is not installed or not on the PATH: the manifest tests render k8s/ with "
            + "`kubectl kustomize` (kubectl 1.27 or newer; .ci/run installs it when an apt repository offers it)", e);
      }
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("kubectl kustomize " + dir + " did not finish within 60 s");
      }
      String stderr = Files.readString(errors);
      Files.deleteIfExists(errors);
      if (process.exitValue() != 0) {
        throw new AssertionError("kubectl kustomize " + dir + " failed (exit " + process.exitValue() + "):\n" + stderr);
      }
      return Manifests.parse(folder, new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("could not run kubectl kustomize " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while rendering " + dir, e);
    }
  }
}
