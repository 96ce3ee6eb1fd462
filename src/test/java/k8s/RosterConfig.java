package k8s;

import config.AppConfig;
import config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The configuration a Roster container would start with: conf/application.yaml under its environment, read by
 * the service's own {@link ConfigLoader}. Values only known at run time get stand-ins of the right shape.
 */
final class RosterConfig {

  private static final Map<String, String> STAND_INS = Map.of(
      "ROSTER_PG_URL", "postgresql://roster:from-secret@database:5432/roster",
      "ROSTER_AMQP_URL", "amqp://roster:from-secret@broker:5672/",
      "ROSTER_CLUSTER_HOST", "10.0.0.1",
      "ROSTER_NODE_ID", "pod-name");

  private RosterConfig() {
  }

  static AppConfig of(Map<String, String> environment) {
    Map<String, String> env = new HashMap<>();
    environment.forEach((k, v) -> env.put(k, ContainerEnvironment.UNKNOWN.equals(v) ? STAND_INS.getOrDefault(k, "from-secret") : v));
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject json = ConfigLoader.load(vertx, null, env).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return new AppConfig(json);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new AssertionError("the service would not read this configuration: " + cause.getMessage(), cause);
    } finally {
      vertx.close();
    }
  }
}
