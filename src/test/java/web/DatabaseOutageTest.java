package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.RosterApp;
import support.TestDatabase;
import support.TcpProxy;
import support.TestIssuer;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL goes away and comes back while the service runs: requests that need it answer 503
 * {@code unavailable} quickly (not a 500, not a hang), readiness says so while liveness does not, and once the
 * database is reachable again the same process serves requests without a restart.
 *
 * <p>The service reaches PostgreSQL through a TCP proxy written here (its own Vert.x), so the test can cut the
 * connection (refuse and drop everything) or make the database unresponsive (accept, never answer).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatabaseOutageTest {

  /** "Within a few seconds": connect timeout 1 s, wait for a connection 2 s, plus slack for a loaded CI box. */
  private static final Duration FAILS_FAST = Duration.ofSeconds(6);
  private static final Duration RECOVERS_WITHIN = Duration.ofSeconds(15);

  private TestDatabase db;
  private TestIssuer issuer;
  private TcpProxy proxy;
  private RosterApp app;
  private Api api;
  private String adminToken;
  private String memberToken;
  private int liveWhenHealthy;

  @BeforeAll
  void start() {
    db = TestDatabase.create(getClass().getSimpleName());
    issuer = new TestIssuer();
    URI target = URI.create(db.url());
    proxy = new TcpProxy(target.getHost(), target.getPort() == -1 ? 5432 : target.getPort());
    String userInfo = target.getRawUserInfo() == null ? "" : target.getRawUserInfo() + "@";
    String proxied = target.getScheme() + "://" + userInfo + "127.0.0.1:" + proxy.port() + target.getRawPath();
    // migrations run through the proxy too
    app = RosterApp.start(db, issuer, Map.of(
        "ROSTER_PG_URL", proxied,
        "ROSTER_PG_CONNECT_TIMEOUT_MS", "1000",
        "ROSTER_PG_WAIT_TIMEOUT_MS", "2000"));
    api = new Api(app.baseUrl());
    assertThat(proxy.connectionsSeen()).as("the service talks to PostgreSQL through the proxy").isPositive();

    String bootstrap = issuer.token("bootstrap-admin", "admin");
    adminToken = person(bootstrap, "admin");
    memberToken = person(adminToken, "member");
    liveWhenHealthy = api.call("GET", "/health/live").send().status();
  }

  @AfterEach
  void restoreDatabase() {
    proxy.forward();
  }

  @AfterAll
  void stop() {
    if (app != null) {
      app.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
  }

  @Test
  void databaseCutAnswers503AndRecoversWithoutRestart() {
    String eventId = createEvent();
    assertThat(api.get("/v1/events", memberToken).status()).isEqualTo(200);
    assertThat(api.call("GET", "/health/ready").send().status()).isEqualTo(200);
    long bookings = db.count("SELECT count(*) FROM bookings");

    proxy.cut();

    assertUnavailable(() -> api.get("/v1/events", memberToken));
    assertUnavailable(() -> api.get("/v1/events/" + eventId, memberToken));
    assertUnavailable(() -> api.post("/v1/bookings", memberToken, new JsonObject().put("eventId", eventId)));
    String key = "outage-" + UUID.randomUUID();
    assertUnavailable(() -> api.call("POST", "/v1/bookings").token(memberToken).header("Idempotency-Key", key)
        .json(new JsonObject().put("eventId", eventId)).send());
    assertNotReadyButLive();
    assertThat(db.count("SELECT count(*) FROM bookings")).as("nothing booked during the outage").isEqualTo(bookings);

    proxy.forward();

    awaitRecovery();
    // the retry of the request that got 503 goes through: a 5xx is never stored under its Idempotency-Key
    Api.Res retried = api.call("POST", "/v1/bookings").token(memberToken).header("Idempotency-Key", key)
        .json(new JsonObject().put("eventId", eventId)).send();
    assertThat(retried.status()).as(retried.toString()).isEqualTo(201);
    assertThat(retried.header("Idempotent-Replayed")).isNull();
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(1);
    assertThat(api.call("GET", "/health/ready").send().status()).isEqualTo(200);
  }

  @Test
  void unresponsiveDatabaseAnswers503WithinTheTimeoutsAndRecovers() {
    String eventId = createEvent();
    assertThat(api.get("/v1/events", memberToken).status()).isEqualTo(200);

    // connections are accepted but PostgreSQL never answers: only the timeouts can end the requests
    proxy.blackhole();

    assertUnavailable(() -> api.get("/v1/events", memberToken));
    assertUnavailable(() -> api.post("/v1/bookings", adminToken, new JsonObject().put("eventId", eventId)));
    assertNotReadyButLive();

    proxy.forward();

    awaitRecovery();
    Api.Res booked = api.post("/v1/bookings", memberToken, new JsonObject().put("eventId", eventId));
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
  }

  // ----- helpers ------------------------------------------------------------------------------------

  private void assertUnavailable(Supplier<Api.Res> request) {
    long started = System.nanoTime();
    Api.Res res = request.get();
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(res.status()).as(res.toString()).isEqualTo(503);
    assertThat(res.contentType()).startsWith("application/problem+json");
    assertThat(res.json().getString("code")).isEqualTo("unavailable");
    assertThat(res.json().getInteger("status")).isEqualTo(503);
    assertThat(res.raw().body()).doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(took).as("503 within a few seconds, not a hang").isLessThan(FAILS_FAST);
  }

  private void assertNotReadyButLive() {
    long started = System.nanoTime();
    Api.Res ready = api.call("GET", "/health/ready").send();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAILS_FAST);
    assertThat(ready.status()).as(ready.toString()).isEqualTo(503);
    JsonArray checks = ready.json().getJsonArray("checks", new JsonArray());
    assertThat(checks.stream().map(JsonObject.class::cast)
        .filter(c -> "database".equals(c.getString("id"))).map(c -> c.getString("status")).toList())
        .as("the failing check is named: " + ready).containsExactly("DOWN");

    // liveness touches no dependency: it answers as it does when all is well (its exact status, 200, is
    // pinned by OpsEndpointsTest)
    Api.Res live = api.call("GET", "/health/live").send();
    assertThat(live.status()).as("liveness during the outage: " + live).isEqualTo(liveWhenHealthy).isBetween(200, 299);
  }

  /** Polls (bounded) until a request that needs the database succeeds again. */
  private void awaitRecovery() {
    Instant deadline = Instant.now().plus(RECOVERS_WITHIN);
    Api.Res last = null;
    while (Instant.now().isBefore(deadline)) {
      last = api.get("/v1/events", memberToken);
      if (last.status() == 200) {
        return;
      }
      assertThat(last.status()).as("while recovering: " + last).isEqualTo(503);
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("no recovery within " + RECOVERS_WITHIN + " after the database came back; last: " + last);
  }

  private String person(String token, String role) {
    String subject = role + "-" + UUID.randomUUID();
    Api.Res res = api.post("/v1/members", token, new JsonObject().put("email", subject + "@example.com")
        .put("name", "Test " + role).put("role", role).put("subject", subject));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return issuer.token(subject, role);
  }

  private String createEvent() {
    Instant start = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    Api.Res res = api.post("/v1/events", adminToken, new JsonObject().put("title", "Spin class")
        .put("startsAt", start.toString()).put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
        .put("capacity", 10));
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json().getString("id");
  }


}
