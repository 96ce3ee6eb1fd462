package ops;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import db.Database;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.sqlclient.SqlClient;
import notifications.BrokerHealth;

import java.util.Map;

/**
 * The node's health checks. Readiness ("can this pod serve now?") is the node's state and the database,
 * reached over the probe's own connection; the detail of {@code /health} adds the broker connections by
 * role and the cluster, which ops watch but which never take a pod out of service.
 */
public final class Probes {

  private static final long CHECK_TIMEOUT_MS = 2000;

  private final Vertx vertx;
  private final SqlClient database;
  private final BrokerHealth broker;
  private final NodeState state;

  /** @param database a client of its own (see {@code Database.probePool}), not the request pool */
  public Probes(Vertx vertx, SqlClient database, BrokerHealth broker, NodeState state) {
    this.vertx = vertx;
    this.database = database;
    this.broker = broker;
    this.state = state;
  }

  public HealthChecks readiness() {
    return HealthChecks.create(vertx)
        .register("node", CHECK_TIMEOUT_MS, this::node)
        .register("database", CHECK_TIMEOUT_MS, this::database);
  }

  public HealthChecks detail() {
    HealthChecks checks = readiness().register("broker", CHECK_TIMEOUT_MS, this::broker);
    if (vertx.isClustered()) {
      checks.register("cluster", CHECK_TIMEOUT_MS, this::cluster);
    }
    return checks;
  }

  public NodeState state() {
    return state;
  }

  private void node(Promise<Status> promise) {
    JsonObject data = new JsonObject().put("state", state.describe());
    promise.complete(state.serving() ? Status.OK(data) : Status.KO(data));
  }

  private void database(Promise<Status> promise) {
    // answer DOWN ourselves before the framework's timeout turns the check into a 500
    long timer = vertx.setTimer(CHECK_TIMEOUT_MS - 500, t -> promise.tryComplete(Status.KO()));
    Database.ping(database).onComplete(result -> {
      vertx.cancelTimer(timer);
      promise.tryComplete(result.succeeded() ? Status.OK() : Status.KO(new JsonObject().put("error",
          String.valueOf(result.cause().getMessage()))));
    });
  }

  /** DOWN when any role's connection is down; a node without relay or workers has nothing to report. */
  private void broker(Promise<Status> promise) {
    JsonObject data = new JsonObject();
    Map<String, Boolean> roles = broker.byRole();
    roles.forEach((role, up) -> data.put(role, up ? "UP" : "DOWN"));
    promise.complete(roles.containsValue(false) ? Status.KO(data) : Status.OK(data));
  }

  private void cluster(Promise<Status> promise) {
    // one Hazelcast instance per clustered node; reading its member list is local, no network call
    HazelcastInstance member = Hazelcast.getAllHazelcastInstances().stream().findFirst().orElse(null);
    if (member == null || !member.getLifecycleService().isRunning()) {
      promise.complete(Status.KO());
      return;
    }
    promise.complete(Status.OK(new JsonObject().put("members", member.getCluster().getMembers().size())));
  }
}
