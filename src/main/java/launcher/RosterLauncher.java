package launcher;

import config.ConfigException;
import config.RuntimeMode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.Label;
import verticles.MainVerticle;

import java.util.EnumSet;

/**
 * {@code java -jar roster-service.jar start|start-dev [--conf FILE]}. Exits with one clear line
 * when the service cannot start.
 */
public final class RosterLauncher {

  private static final String USAGE = "usage: java -jar roster-service.jar start|start-dev [--conf FILE]";

  public static void main(String[] args) {
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

    Vertx vertx = Vertx.builder().with(vertxOptions()).build();
    MainVerticle main = new MainVerticle(mode, confFile, System.getenv());
    vertx.deployVerticle(main).onFailure(error -> {
      String message = error instanceof ConfigException ? error.getMessage() : describe(error);
      System.err.println("roster: cannot start: " + message);
      vertx.close().onComplete(v -> System.exit(1));
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }, "roster-shutdown"));
  }

  /** Metrics on, with the labels ops dashboards use; tests build their Vert.x with these too. */
  public static VertxOptions vertxOptions() {
    return new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.POOL_NAME)));
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
