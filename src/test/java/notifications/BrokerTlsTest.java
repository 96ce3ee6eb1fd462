package notifications;

import config.AppConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.LogCapture;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * amqps:// verifies the broker: its certificate must chain to a trusted CA (ROSTER_AMQP_TRUST_STORE, PEM or
 * PKCS12) and name the URL's host. No TLS RabbitMQ runs here, so a TLS server of the test stands in for it, with
 * certificates made by keytool: what it proves is the TLS handshake (the AMQP one after it fails, as it should).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BrokerTlsTest {

  private static final String STORE_PASSWORD = "changeit-tls-test";

  private Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Topology topology = new Topology("tls-test", false, List.of(300L), List.of(300L));
  private TlsServer localhost;
  private TlsServer elsewhere;

  @BeforeAll
  void certificates() throws Exception {
    dir = Files.createTempDirectory("roster-tls-test");
    localhost = new TlsServer(keyPair("broker", "CN=127.0.0.1", "SAN=ip:127.0.0.1"));
    elsewhere = new TlsServer(keyPair("elsewhere", "CN=broker.elsewhere.invalid", "SAN=dns:broker.elsewhere.invalid"));
  }

  @AfterAll
  void stop() throws Exception {
    localhost.close();
    elsewhere.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(dir);
  }

  @Test
  void aCertificateOutsideTheTrustStoreIsRefusedWithAClearLine() throws Exception {
    int handshakesBefore = localhost.handshakes.get();
    int attemptsBefore = localhost.attempts.get();
    try (LogCapture logs = LogCapture.start()) {
      BrokerConnection broker = connect(localhost, "", "", "tls-untrusted");
      eventually(() -> logs.contains("tls-untrusted: cannot reach the broker"));
      close(broker);
      assertThat(logs.lines()).anyMatch(line -> line.contains("tls-untrusted: cannot reach the broker at amqps://127.0.0.1:")
          && line.contains("TLS handshake refused: the broker's certificate is not trusted")
          && line.contains("ROSTER_AMQP_TRUST_STORE"));
      assertThat(localhost.handshakes.get()).as("TLS handshakes the server completed").isEqualTo(handshakesBefore);
      assertThat(localhost.attempts.get()).as("the client did try").isGreaterThan(attemptsBefore);
    }
  }

  @Test
  void aCertificateInTheTrustStoreCompletesTheTlsHandshakePemOrPkcs12() throws Exception {
    for (String[] store : List.of(new String[] {exportPem("broker").toString(), ""},
        new String[] {trustStoreP12("broker").toString(), STORE_PASSWORD})) {
      int before = localhost.handshakes.get();
      BrokerConnection broker = connect(localhost, store[0], store[1], "tls-trusted");
      eventually(() -> localhost.handshakes.get() > before);
      close(broker);
    }
  }

  @Test
  void aTrustedCertificateForAnotherHostIsRefused() throws Exception {
    try (LogCapture logs = LogCapture.start()) {
      BrokerConnection broker = connect(elsewhere, exportPem("elsewhere").toString(), "", "tls-wrong-host");
      eventually(() -> logs.contains("tls-wrong-host: cannot reach the broker"));
      close(broker);
      assertThat(logs.lines()).anyMatch(line -> line.contains("tls-wrong-host: cannot reach the broker")
          && line.contains("does not name the URL's host"));
      assertThat(elsewhere.handshakes.get()).as("TLS handshakes the server completed").isZero();
      assertThat(elsewhere.attempts.get()).isPositive();
    }
  }

  // ---------------------------------------------------------------- helpers

  private BrokerConnection connect(TlsServer server, String trustStore, String password, String name) throws Exception {
    AppConfig config = new AppConfig(new JsonObject().put("amqp", new JsonObject()
        .put("url", "amqps://guest:guest@127.0.0.1:" + server.port() + "/")
        .put("trustStore", trustStore).put("trustStorePassword", password)));
    Context context = vertx.getOrCreateContext();
    CompletableFuture<BrokerConnection> made = new CompletableFuture<>();
    context.runOnContext(v -> {
      BrokerConnection broker = new BrokerConnection(vertx, BrokerEndpoint.of(config), name, topology, ch -> null);
      broker.start();
      made.complete(broker);
    });
    return made.get(10, TimeUnit.SECONDS);
  }

  private static void close(BrokerConnection broker) throws Exception {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    broker.close().onComplete(done -> closed.complete(null));
    closed.get(30, TimeUnit.SECONDS);
  }

  private Path keyPair(String alias, String dname, String san) throws Exception {
    Path store = dir.resolve(alias + ".p12");
    keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", dname, "-ext", san, "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
    return store;
  }

  private Path exportPem(String alias) throws Exception {
    Path pem = dir.resolve(alias + ".pem");
    if (!Files.exists(pem)) {
      keytool("-exportcert", "-rfc", "-alias", alias, "-keystore", dir.resolve(alias + ".p12").toString(),
          "-storepass", STORE_PASSWORD, "-file", pem.toString());
    }
    return pem;
  }

  private Path trustStoreP12(String alias) throws Exception {
    Path store = dir.resolve(alias + "-trust.p12");
    if (!Files.exists(store)) {
      keytool("-importcert", "-noprompt", "-alias", alias, "-file", exportPem(alias).toString(),
          "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", STORE_PASSWORD);
    }
    return store;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as("keytool " + String.join(" ", args) + ": " + output).isZero();
  }

  private static void eventually(BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (!condition.getAsBoolean()) {
      assertThat(Instant.now()).as("waited 20 s").isBefore(deadline);
      Thread.sleep(50);
    }
  }

  /** Accepts TLS connections with its certificate, counts the completed handshakes, then hangs up. */
  private static final class TlsServer implements AutoCloseable {
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger handshakes = new AtomicInteger();
    private final SSLServerSocket socket;

    TlsServer(Path keyStore) throws Exception {
      KeyStore keys = KeyStore.getInstance(keyStore.toFile(), STORE_PASSWORD.toCharArray());
      KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      km.init(keys, STORE_PASSWORD.toCharArray());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(km.getKeyManagers(), null, null);
      socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
          java.net.InetAddress.getLoopbackAddress());
      Thread accept = new Thread(this::serve, "tls-test-server");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (SSLSocket client = (SSLSocket) socket.accept()) {
          attempts.incrementAndGet();
          client.setSoTimeout(5000);
          try {
            client.startHandshake();
            client.getInputStream().read(); // the AMQP protocol header: proof the client accepted the handshake
            handshakes.incrementAndGet();
          } catch (IOException refused) {
            // the client did not trust us: exactly what some tests expect
          }
        } catch (IOException closed) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
