package launcher;

import config.AppConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.RosterApp;
import support.TestDatabase;
import support.TestIssuer;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two clustered nodes (in-process, each its own Vert.x and Hazelcast member) share one caller's budget: a caller
 * that alternates between them gets the quota once, not once per node.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterRateLimitTest {

  private static final int LIMIT = 10;

  private TestDatabase db;
  private TestIssuer issuer;
  private final List<RosterApp> nodes = new ArrayList<>();

  @BeforeAll
  void startTwoNodes() throws Exception {
    db = TestDatabase.create(getClass().getSimpleName());
    issuer = new TestIssuer();
    int[] ports = {freePort(), freePort()};
    String cluster = "rate-" + UUID.randomUUID().toString().substring(0, 8);
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
    for (int port : ports) {
      AppConfig config = new AppConfig(new JsonObject().put("cluster", new JsonObject().put("enabled", true)
          .put("name", cluster).put("members", members).put("port", port).put("host", "127.0.0.1")));
      HazelcastClusterManager manager = Cluster.manager(config);
      VertxOptions options = RosterLauncher.vertxOptions();
      options.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1");
      Vertx vertx = RosterLauncher.vertxBuilder(options).withClusterManager(manager).buildClustered()
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      nodes.add(RosterApp.start(db, issuer, Map.of("ROSTER_CLUSTER_ENABLED", "true",
          "ROSTER_SCHEDULER_ENABLED", "false", "ROSTER_RATE_READ_LIMIT", String.valueOf(LIMIT),
          "ROSTER_RATE_READ_WINDOW_SECONDS", "3600"), vertx));
    }
  }

  @AfterAll
  void stop() {
    nodes.forEach(RosterApp::close);
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
  }

  @Test
  void aCallerAlternatingBetweenNodesGetsTheQuotaOnce() {
    String token = issuer.token("roamer-" + UUID.randomUUID(), "member");
    Api first = new Api(nodes.get(0).baseUrl());
    Api second = new Api(nodes.get(1).baseUrl());
    int served = 0;
    int refusedByFirst = 0;
    int refusedBySecond = 0;
    for (int i = 0; i < 3 * LIMIT; i++) {
      Api.Res res = (i % 2 == 0 ? first : second).get("/v1/events", token);
      if (res.status() == 200) {
        served++;
        assertThat(res.header("RateLimit-Policy")).isEqualTo("\"read\";q=" + LIMIT + ";w=3600");
      } else {
        assertThat(res.status()).as(res.toString()).isEqualTo(429);
        assertThat(res.code()).isEqualTo("rate_limited");
        if (i % 2 == 0) {
          refusedByFirst++;
        } else {
          refusedBySecond++;
        }
      }
    }
    // per-node buckets would serve 2 x LIMIT
    assertThat(served).isEqualTo(LIMIT);
    assertThat(refusedByFirst).isPositive();
    assertThat(refusedBySecond).isPositive();
  }

  /**
   * A caller without a token is counted on the cluster's bucket of its address, which may wait for another
   * member: the request must still be read whole and answered 401 (once, this gave 500: the body was read after
   * the request had ended).
   */
  @Test
  void callersWithoutATokenAreCountedClusterWideAndAnswered401() {
    Api node = new Api(nodes.get(1).baseUrl());
    for (int i = 0; i < 3; i++) {
      Api.Res get = node.get("/v1/events", null);
      assertThat(get.status()).as(get.toString()).isEqualTo(401);
      assertThat(get.header("RateLimit-Policy")).startsWith("\"anonymous\"");
      Api.Res post = node.post("/v1/events", null, new io.vertx.core.json.JsonObject().put("title", "x".repeat(2000)));
      assertThat(post.status()).as(post.toString()).isEqualTo(401);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
