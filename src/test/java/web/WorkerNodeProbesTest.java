package web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import support.Api;
import support.NotificationTestBase;
import support.RosterApp;
import support.TestDatabase;
import support.TestIssuer;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static support.NotificationTestBase.eventually;

/**
 * A worker-only node (ROSTER_HTTP_INSTANCES=0: relay, workers, scheduler, no API) still answers its probes and
 * Prometheus on the HTTP port, and serves nothing else; while it drains, liveness stays UP and readiness is DOWN.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkerNodeProbesTest {

  private TestDatabase db;
  private TestIssuer issuer;
  private RosterApp app;
  private Api api;
  private final String namespace = "probes-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  void start() {
    db = TestDatabase.create("workerprobes");
    issuer = new TestIssuer();
    app = RosterApp.start(db, issuer, Map.of(
        "ROSTER_HTTP_INSTANCES", "0",
        "ROSTER_RELAY_INSTANCES", "1",
        "ROSTER_WORKER_INSTANCES", "1",
        "ROSTER_AMQP_URL", NotificationTestBase.AMQP_URL,
        "ROSTER_AMQP_NAMESPACE", namespace,
        "ROSTER_NOTIFY_CHANNEL", "log",
        "ROSTER_SHUTDOWN_DELAY_MS", "1500"));
    api = new Api(app.baseUrl());
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
    NotificationTestBase.deleteTopology(namespace);
  }

  @Test
  void probesAndMetricsAnswerOnTheHttpPort() {
    assertThat(app.port()).as("the probe server's port").isPositive();
    Api.Res live = api.call("GET", "/health/live").send();
    assertThat(live.status()).as(live.toString()).isEqualTo(200);
    assertThat(live.json().getString("status")).isEqualTo("UP");

    Api.Res ready = api.call("GET", "/health/ready").send();
    assertThat(ready.status()).as(ready.toString()).isEqualTo(200);
    assertThat(ready.raw().body()).contains("\"database\"");

    eventually(Duration.ofSeconds(30), "relay, notification and task workers connected to the broker",
        () -> api.call("GET", "/health").send().status() == 200);
    Api.Res health = api.call("GET", "/health").send();
    assertThat(health.raw().body()).as(health.toString())
        .contains("\"relay\":\"UP\"").contains("\"worker\":\"UP\"").contains("\"tasks\":\"UP\"")
        .contains("\"webhooks\":\"UP\"");

    Api.Res metrics = api.call("GET", "/metrics").send();
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.raw().body().lines().filter(l -> l.startsWith("roster_broker_connected{")).toList())
        .as("the broker gauge, one series per role")
        .containsExactlyInAnyOrder("roster_broker_connected{role=\"relay\"} 1.0",
            "roster_broker_connected{role=\"tasks\"} 1.0", "roster_broker_connected{role=\"webhooks\"} 1.0",
            "roster_broker_connected{role=\"worker\"} 1.0");
  }

  @Test
  @Order(Integer.MAX_VALUE) // stops the node: last
  void whileTheNodeDrainsLivenessStaysUpAndReadinessIsDown() throws Exception {
    CompletableFuture<Void> drained = app.shutdown();
    Api.Res ready = api.call("GET", "/health/ready").send();
    assertThat(ready.status()).as(ready.toString()).isEqualTo(503);
    assertThat(ready.raw().body()).contains("\"stopping\"");
    Api.Res live = api.call("GET", "/health/live").send();
    assertThat(live.status()).as("liveness while draining: " + live).isEqualTo(200);
    assertThat(live.header("connection")).isEqualToIgnoringCase("close");
    assertThat(drained).as("still in the delay").isNotDone();

    drained.get(30, TimeUnit.SECONDS);
    assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", app.port()).close())
        .as("a new connection once the node has drained").isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void noApiRouteIsServed() {
    String token = issuer.token("someone", "admin");
    assertThat(api.get("/v1/events", token).status()).isEqualTo(404);
    assertThat(api.call("GET", "/openapi.yaml").send().status()).isEqualTo(404);
    assertThat(api.call("GET", "/docs").send().status()).isEqualTo(404);
  }
}
