package launcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * An OCI image tarball as a registry or a container runtime reads it: index.json names the manifest, the
 * manifest names the config and the layers, each blob is stored under its sha256 (checked here). Tar itself
 * is read with the system's tar, as a runtime unpacks layers.
 */
final class OciImage implements AutoCloseable {

  /** A layer: its blob, its compressed size and the name the builder gave it in the config's history. */
  record Layer(String name, String digest, long size, Path blob) {
  }

  private final Path dir;
  private final JsonObject index;
  private final JsonObject config;
  private final List<Layer> layers = new ArrayList<>();

  private OciImage(Path dir) throws IOException {
    this.dir = dir;
    this.index = new JsonObject(Files.readString(dir.resolve("index.json")));
    JsonObject descriptor = index.getJsonArray("manifests").getJsonObject(0);
    JsonObject manifest = new JsonObject(Files.readString(blob(descriptor)));
    this.config = new JsonObject(Files.readString(blob(manifest.getJsonObject("config"))));
    List<String> names = config.getJsonArray("history", new JsonArray()).stream().map(JsonObject.class::cast)
        .filter(h -> !h.getBoolean("empty_layer", false)).map(h -> h.getString("comment", "?")).toList();
    JsonArray described = manifest.getJsonArray("layers");
    for (int i = 0; i < described.size(); i++) {
      JsonObject layer = described.getJsonObject(i);
      layers.add(new Layer(i < names.size() ? names.get(i) : "layer " + i, layer.getString("digest"),
          layer.getLong("size"), blob(layer)));
    }
  }

  static OciImage open(Path tarball) throws IOException, InterruptedException {
    if (!Files.isRegularFile(tarball)) {
      throw new IllegalStateException(tarball + " is missing: `mvn verify` builds it in pre-integration-test");
    }
    Path dir = Files.createTempDirectory("roster-oci-");
    run("tar", "-xf", tarball.toString(), "-C", dir.toString());
    return new OciImage(dir);
  }

  /** The name the image is tagged with, e.g. roster-service:0.1.0-SNAPSHOT. */
  String refName() {
    return index.getJsonArray("manifests").getJsonObject(0).getJsonObject("annotations", new JsonObject())
        .getString("org.opencontainers.image.ref.name");
  }

  /** What a runtime runs: the config's "config" object (User, Entrypoint, Cmd, Env, ExposedPorts). */
  JsonObject runConfig() {
    return config.getJsonObject("config");
  }

  List<String> strings(String key) {
    return runConfig().getJsonArray(key, new JsonArray()).stream().map(String::valueOf).toList();
  }

  String architecture() {
    return config.getString("architecture") + "/" + config.getString("os");
  }

  List<Layer> layers() {
    return layers;
  }

  /** Every path in a layer, as tar lists it ("app/libs/x.jar", directories with a trailing slash). */
  List<String> entries(Layer layer) throws IOException, InterruptedException {
    return run("tar", "--warning=no-unknown-keyword", "-tzf", layer.blob().toString()).lines().toList();
  }

  /** Unpacks the layers in order, keeping owners and modes, as a runtime lays out the root file system. */
  void unpackInto(Path root) throws IOException, InterruptedException {
    for (Layer layer : layers) {
      run("tar", "--warning=no-unknown-keyword", "--numeric-owner", "-xzpf", layer.blob().toString(),
          "-C", root.toString());
    }
  }

  private Path blob(JsonObject descriptor) throws IOException {
    String digest = descriptor.getString("digest");
    Path blob = dir.resolve("blobs").resolve("sha256").resolve(digest.substring("sha256:".length()));
    if (Files.size(blob) != descriptor.getLong("size") || !digest.equals("sha256:" + sha256(blob))) {
      throw new AssertionError("blob " + digest + " does not match its descriptor");
    }
    return blob;
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a tool to its end and returns what it printed; fails with its output when it fails. */
  static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }

  static void delete(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Override
  public void close() throws IOException {
    delete(dir);
  }
}
