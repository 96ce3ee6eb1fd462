package launcher;

import config.AppConfig;
import config.ConfigException;
import config.ConfigLoader;
import cron.LeaderElection;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import config.RuntimeMode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VertxBuilder;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.Label;
import logging.ConsoleLogs;
import logging.LogContext;
import ops.ServiceMeters;
import ops.ServiceMetricsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tracing.Tracing;
import tracing.TracingSdk;
import verticles.MainVerticle;

import java.util.EnumSet;

/**
 * {@code java -jar roster-service.jar start|start-dev [--conf FILE]}. Exits with one clear line
 * when the service cannot start.
 */
public final class RosterLauncher {

  private static final Logger log = LoggerFactory.getLogger(RosterLauncher.class);

  private static final String USAGE = "usage: java -jar roster-service.jar start|start-dev [--conf FILE]";

  public static void main(String[] args) {
    LogContext.register();
    RuntimeMode mode = null;
    String confFile = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "start" -> mode = RuntimeMode.PRODUCTION;
        case "start-dev" -> mode = RuntimeMode.DEVELOPMENT;
        case "--conf" -> {
          if (i + 1 >= args.length) {
            exit(USAGE);
          }
          confFile = args[++i];
        }
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> exit("unknown argument '" + args[i] + "'\n" + USAGE);
      }
    }
    if (mode == null) {
      exit(USAGE);
    }
    if (mode == RuntimeMode.DEVELOPMENT && !developmentModeIncluded()) {
      exit("start-dev is not in this image (its embedded PostgreSQL and broker are only in roster-service.jar): "
          + "use `start` with ROSTER_PG_URL and ROSTER_OIDC_ISSUER");
    }

    Vertx vertx;
    LeaderElection election = LeaderElection.alone();
    try {
      AppConfig config = bootstrapConfig(confFile);
      config.requireLogSettings();
      ConsoleLogs.apply(config.logFormat(), config.logLevel());
      OpenTelemetrySdk tracing = TracingSdk.fromEnvironment();
      if (config.clusterEnabled()) {
        HazelcastClusterManager manager = Cluster.manager(config);
        VertxOptions options = vertxOptions();
        options.getEventBusOptions().setHost(config.clusterHost()).setClusterPublicHost(config.clusterHost());
        vertx = Tracing.register(Tracing.tracedBy(vertxBuilder(options), tracing)
            .withClusterManager(manager).buildClustered().toCompletionStage().toCompletableFuture().get(), tracing);
        election = LeaderElection.oldestEnabledMemberOf(manager.getHazelcastInstance());
      } else {
        vertx = Tracing.register(Tracing.tracedBy(vertxBuilder(vertxOptions()), tracing).build(), tracing);
      }
    } catch (Exception e) {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      exit1(cause instanceof ConfigException ? cause.getMessage() : "cannot join the cluster: " + describe(cause));
      return;
    }
    Vertx running = vertx;
    MainVerticle main = new MainVerticle(mode, confFile, System.getenv(), election);
    // once started: start-dev's first line stays its DEVELOPMENT MODE banner
    running.deployVerticle(main).onSuccess(id -> logTransport(running)).onFailure(error -> {
      String message = error instanceof ConfigException ? error.getMessage() : describe(error);
      System.err.println("roster: cannot start: " + message);
      running.close().onComplete(v -> System.exit(1));
    });
    GracefulExit.install(running, main);
  }

  /** Metrics on, with the labels ops dashboards use; tests build their Vert.x with these too. */
  public static VertxOptions vertxOptions() {
    LogContext.register(); // before any Vert.x is built: each keeps a slot for the request id of its contexts
    // epoll when Netty's native library loads: less CPU per request than NIO; NIO otherwise, without error
    return new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.POOL_NAME)));
  }

  /** Which transport Netty got: epoll where its native library loads (Linux x86-64), NIO elsewhere. */
  private static void logTransport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      log.info("network transport: native epoll");
    } else {
      Throwable cause = vertx.unavailableNativeTransportCause();
      log.info("network transport: NIO (native epoll unavailable: {})", cause == null ? "not found" : cause.toString());
    }
  }

  /**
   * A Vert.x builder with these options, whose metrics go to the registry {@link ServiceMeters} sets up (the HTTP
   * server's per-request ones through {@link ServiceMetricsFactory}: same series, meters kept per route).
   */
  public static VertxBuilder vertxBuilder(VertxOptions options) {
    return Vertx.builder().with(options).withMetrics(new ServiceMetricsFactory(ServiceMeters.registry()));
  }

  /** The configuration the launcher needs before Vert.x exists (is this node clustered?). */
  private static AppConfig bootstrapConfig(String confFile) throws Exception {
    Vertx bootstrap = Vertx.vertx();
    try {
      return new AppConfig(ConfigLoader.load(bootstrap, confFile, System.getenv())
          .toCompletionStage().toCompletableFuture().get());
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } finally {
      bootstrap.close();
    }
  }

  /** The container image leaves out the dev package and the embedded servers it starts (see pom.xml). */
  private static boolean developmentModeIncluded() {
    return RosterLauncher.class.getResource("/dev/DevEnvironment.class") != null;
  }

  private static void exit1(String message) {
    System.err.println("roster: cannot start: " + message);
    System.exit(1);
  }

  private static String describe(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private static void exit(String message) {
    System.err.println("roster: " + message);
    System.exit(2);
  }
}
