package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * Readiness answers "can this pod serve bookings now?": the node's state and the database, over the probe's own
 * connection. A broker that cannot be reached does not make the pod unready (it shows in /health and in a gauge),
 * and a burst that holds every connection of the request pool does not either.
 *
 * <p>The service here has a request pool of two connections, no coalescing (each booking holds a connection for
 * its transaction) and a relay whose broker does not exist.
 */
class ReadinessTest extends ApiTestBase {

  private static final int POOL = 2;

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of(
        "ROSTER_HTTP_INSTANCES", "1",
        "ROSTER_PG_POOL_SIZE", String.valueOf(POOL),
        "ROSTER_PG_WAIT_TIMEOUT_MS", "60000",
        "ROSTER_BOOKING_COALESCE", "false",
        "ROSTER_RELAY_INSTANCES", "1",
        "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:" + closedPort());
  }

  @Test
  void aBrokerThatCannotBeReachedShowsInHealthButNotInReadiness() {
    Api.Res ready = api.call("GET", "/health/ready").send();
    assertThat(ready.status()).as(ready.toString()).isEqualTo(200);
    assertThat(statuses(ready)).as(ready.toString()).containsOnlyKeys("node", "database")
        .containsEntry("node", "UP").containsEntry("database", "UP");

    Api.Res health = api.call("GET", "/health").send();
    assertThat(health.status()).as(health.toString()).isEqualTo(503);
    assertThat(statuses(health)).as(health.toString()).containsEntry("node", "UP").containsEntry("database", "UP")
        .containsEntry("broker", "DOWN");
    assertThat(check(health, "broker").getJsonObject("data").getString("relay")).isEqualTo("DOWN");
    assertThat(check(health, "node").getJsonObject("data").getString("state")).isEqualTo("serving");

    String metrics = api.call("GET", "/metrics").send().raw().body();
    assertThat(metrics.lines().filter(l -> l.startsWith("roster_broker_connected{")).toList())
        .as("the broker gauge").containsExactly("roster_broker_connected{role=\"relay\"} 0.0");
  }

  @Test
  void aBurstHoldingTheWholeRequestPoolLeavesReadinessUp() throws Exception {
    String eventId = createEvent(50, 0).getString("id");
    List<Person> members = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      members.add(member());
    }
    List<CompletableFuture<Api.Res>> bookings = new ArrayList<>();
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("SELECT id FROM events WHERE id = '" + eventId + "' FOR UPDATE");
      }
      for (Person m : members) {
        bookings.add(api.call("POST", "/v1/bookings").token(m.token())
            .json(new JsonObject().put("eventId", eventId)).sendAsync());
      }
      eventually(Duration.ofSeconds(30), "every request connection waiting on the event's row lock",
          () -> db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
              + "AND wait_event_type = 'Lock'") >= POOL);
      long waitingForAConnection = bookings.stream().filter(f -> !f.isDone()).count();

      Api.Res ready = api.call("GET", "/health/ready").send();
      System.out.println("ReadinessTest: request pool full (" + POOL + " connections on the lock, "
          + waitingForAConnection + " bookings unanswered): /health/ready " + ready.status());
      assertThat(waitingForAConnection).as("bookings still waiting").isEqualTo(members.size());
      assertThat(ready.status()).as(ready.toString()).isEqualTo(200);
      assertThat(statuses(ready)).containsEntry("database", "UP");
      holder.rollback();
    }
    for (CompletableFuture<Api.Res> booking : bookings) {
      Api.Res res = booking.get();
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
    }
  }

  private static Map<String, Object> statuses(Api.Res res) {
    JsonObject out = new JsonObject();
    JsonArray checks = res.json().getJsonArray("checks", new JsonArray());
    checks.stream().map(JsonObject.class::cast).forEach(c -> out.put(c.getString("id"), c.getString("status")));
    return out.getMap();
  }

  private static JsonObject check(Api.Res res, String id) {
    return res.json().getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> id.equals(c.getString("id"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + id + " check in " + res));
  }

  /** A port nothing listens on: the relay's broker connection is refused. */
  private static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
