package support;

import config.RuntimeMode;
import io.vertx.core.Vertx;
import launcher.RosterLauncher;
import verticles.MainVerticle;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service started in-process in production mode against a test database and a test issuer,
 * configured the way ops do it: through ROSTER_* variables.
 */
public final class RosterApp implements AutoCloseable {

  private final Vertx vertx;
  private final MainVerticle main;

  private RosterApp(Vertx vertx, MainVerticle main) {
    this.vertx = vertx;
    this.main = main;
  }

  public static RosterApp start(TestDatabase db, TestIssuer issuer) {
    return start(db, issuer, Map.of());
  }

  public static RosterApp start(TestDatabase db, TestIssuer issuer, Map<String, String> extra) {
    return start(db, issuer, extra, RosterLauncher.vertxBuilder(RosterLauncher.vertxOptions()).build());
  }

  /** Traced by the given OpenTelemetry (a test's SDK with an in-memory exporter), as the launcher does with OTEL_*. */
  public static RosterApp traced(TestDatabase db, TestIssuer issuer, Map<String, String> extra,
                                 io.opentelemetry.api.OpenTelemetry openTelemetry) {
    Vertx vertx = tracing.Tracing.tracedBy(RosterLauncher.vertxBuilder(RosterLauncher.vertxOptions()), openTelemetry).build();
    return start(db, issuer, extra, tracing.Tracing.register(vertx, openTelemetry));
  }

  /** On a Vert.x of the test's making (a clustered one, say), which the app then owns and closes. */
  public static RosterApp start(TestDatabase db, TestIssuer issuer, Map<String, String> extra, Vertx vertx) {
    Map<String, String> env = new HashMap<>();
    env.put("ROSTER_PG_URL", db.url());
    env.put("ROSTER_OIDC_ISSUER", issuer.issuer());
    env.put("ROSTER_OIDC_JWKS_URL", issuer.jwksUrl());
    env.put("ROSTER_OIDC_AUDIENCE", TestIssuer.AUDIENCE);
    env.put("ROSTER_HTTP_PORT", "0");
    env.put("ROSTER_HTTP_HOST", "127.0.0.1");
    env.put("ROSTER_PG_POOL_SIZE", "8");
    // API tests run without the notification roles; notification tests turn them on with a broker
    env.put("ROSTER_RELAY_INSTANCES", "0");
    env.put("ROSTER_WORKER_INSTANCES", "0");
    env.putAll(extra);
    MainVerticle main = new MainVerticle(RuntimeMode.PRODUCTION, null, env);
    try {
      vertx.deployVerticle(main).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException("the service did not start", e);
    }
    return new RosterApp(vertx, main);
  }

  public int port() {
    return main.httpPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** What SIGTERM starts: the node's drain (readiness 503, the delay, then each role stops); Vert.x stays open. */
  public java.util.concurrent.CompletableFuture<Void> shutdown() {
    return main.shutdown().toCompletionStage().toCompletableFuture();
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
