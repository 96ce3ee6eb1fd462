package launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.Api;
import support.Crowd;
import support.NotificationTestBase;
import support.TestDatabase;
import support.TestIssuer;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static support.NotificationTestBase.eventually;

/**
 * SIGTERM to the jar while 500 bookings are in flight, as Kubernetes stops a pod in a rolling restart. The test
 * holds the event's row lock (a JDBC transaction), so the bookings wait inside the service, sends SIGTERM, and
 * releases the lock only after the shutdown delay, while the HTTP server drains: every request gets an answer
 * (201 or 409, no 5xx, no reset), the rows match the 201s, the scheduler hands back its lease, the process exits 0.
 * During the delay the node still serves (readiness says 503); after it, a new connection is refused.
 */
class GracefulShutdownIT {

  private static final int REQUESTS = 500;
  private static final int CAPACITY = 300;
  private static final int WAITLIST = 100;
  private static final int DELAY_MS = 2000;
  private static final int GRACE_MS = 20_000;

  private TestDatabase db;
  private TestIssuer issuer;
  private JarProcess service;
  private final String namespace = "drain-" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void cleanUp() {
    if (service != null) {
      List<String> log = service.output();
      System.out.println("GracefulShutdownIT: the service's last lines:");
      log.subList(Math.max(0, log.size() - 40), log.size()).forEach(l -> System.out.println("  " + l));
      service.close();
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
  void sigtermWithFiveHundredBookingsInFlightAnswersEveryOneAndExitsZero() throws Exception {
    db = TestDatabase.create("drain");
    issuer = new TestIssuer();
    int port = DevModeIT.freePort();
    service = JarProcess.start(NodeEnvironment.api(db.url(), issuer).broker(namespace)
        .set("ROSTER_HTTP_PORT", port).set("ROSTER_HTTP_HOST", "127.0.0.1").set("ROSTER_NODE_ID", "drain-node")
        .set("ROSTER_SHUTDOWN_DELAY_MS", DELAY_MS).set("ROSTER_SHUTDOWN_GRACE_MS", GRACE_MS)
        .set("JAVA_TOOL_OPTIONS", "-Xmx512m").map(), "start");
    service.awaitLine(l -> l.contains("drain-node leads the scheduler"), Duration.ofSeconds(120));
    Api api = new Api("http://127.0.0.1:" + port);
    eventually(Duration.ofSeconds(60), "the node ready", () -> api.call("GET", "/health/ready").send().status() == 200);
    String admin = issuer.token("drain-admin", "admin");
    String eventId = createEvent(api, admin, CAPACITY, WAITLIST);
    String otherEventId = createEvent(api, admin, 10, 0);
    List<Crowd> crowd = Crowd.insert(db, issuer, "drain", REQUESTS + 1);
    Crowd lateMember = crowd.remove(REQUESTS);

    List<CompletableFuture<Outcome>> calls = new ArrayList<>();
    long inFlightAtSigterm;
    long sigtermNanos;
    long releasedAtMs;
    CompletableFuture<Outcome> lateBooking;
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement st = holder.createStatement()) {
        st.execute("SELECT id FROM events WHERE id = '" + eventId + "' FOR UPDATE");
      }
      for (Crowd member : crowd) {
        calls.add(api.call("POST", "/v1/bookings").token(member.token())
            .json(new JsonObject().put("eventId", eventId)).sendAsync()
            .handle((res, error) -> new Outcome(res, error)));
      }
      eventually(Duration.ofSeconds(60), "all " + REQUESTS + " bookings inside the service",
          () -> activeRequests(api) - 1 >= REQUESTS); // the scrape counts itself
      inFlightAtSigterm = activeRequests(api) - 1;
      assertThat(calls).as("answered before SIGTERM").noneMatch(CompletableFuture::isDone);

      sigtermNanos = System.nanoTime();
      service.signal("TERM");

      // during the delay: readiness is 503 at once, and the node still serves, asking clients to reconnect
      Api.Res ready = eventuallyRes(() -> api.call("GET", "/health/ready").send(), r -> r.status() == 503);
      assertThat(ready.raw().body()).contains("\"stopping\"");
      Api.Res duringDelay = api.get("/v1/events/" + otherEventId, admin);
      long servedAtMs = millisSince(sigtermNanos);
      assertThat(duringDelay.status()).as("a read %d ms after SIGTERM: %s", servedAtMs, duringDelay).isEqualTo(200);
      assertThat(duringDelay.header("connection")).isEqualToIgnoringCase("close");
      assertThat(servedAtMs).as("served within the delay").isLessThan(DELAY_MS);
      // a booking arriving now waits behind the held lock (the batches in flight fill the coalescer), so it is
      // still in flight when the server starts draining: it must be answered all the same
      lateBooking = api.call("POST", "/v1/bookings").token(lateMember.token())
          .json(new JsonObject().put("eventId", otherEventId)).sendAsync()
          .handle((res, error) -> new Outcome(res, error));

      // after the delay the server drains: a new connection is refused (or answered 503), never left hanging
      Thread.sleep(Math.max(0, DELAY_MS + 1000 - millisSince(sigtermNanos)));
      String afterDelay = newConnectionAfterDelay(port);
      long refusedAtMs = millisSince(sigtermNanos);
      assertThat(service.isAlive()).as("still draining").isTrue();
      assertThat(calls).as("bookings answered before the lock was released").noneMatch(CompletableFuture::isDone);

      holder.rollback();
      releasedAtMs = millisSince(sigtermNanos);
      System.out.println("GracefulShutdownIT: " + refusedAtMs + " ms after SIGTERM a new connection got: " + afterDelay);
    }

    Map<String, Integer> answers = new TreeMap<>();
    for (CompletableFuture<Outcome> call : calls) {
      Outcome outcome = call.get(60, TimeUnit.SECONDS);
      answers.merge(outcome.describe(), 1, Integer::sum);
    }
    Outcome late = lateBooking.get(60, TimeUnit.SECONDS);
    long lastAnswerMs = millisSince(sigtermNanos);
    int code = service.awaitExit(Duration.ofMillis(DELAY_MS + GRACE_MS + 15_000));
    long exitMs = millisSince(sigtermNanos);

    long confirmed = answers.getOrDefault("201 confirmed", 0);
    long waitlisted = answers.getOrDefault("201 waitlisted", 0);
    System.out.println("GracefulShutdownIT: " + inFlightAtSigterm + " bookings in flight at SIGTERM (server's active "
        + "requests); lock released " + releasedAtMs + " ms after SIGTERM; answers " + answers + "; last answer " + lastAnswerMs + " ms after SIGTERM; exit code " + code
        + " after " + exitMs + " ms (delay " + DELAY_MS + " ms, grace " + GRACE_MS + " ms); the booking sent during "
        + "the delay: " + late.describe());
    System.out.println("GracefulShutdownIT: outbox at exit: " + db.count("SELECT count(*) FROM outbox WHERE "
        + "published_at IS NOT NULL") + " published by the relay, " + db.count("SELECT count(*) FROM outbox WHERE "
        + "published_at IS NULL") + " waiting for the next relay; " + db.count("SELECT count(*) FROM "
        + "notification_deliveries WHERE status = 'sent'") + " deliveries sent");
    service.output().stream().filter(l -> l.contains("stopped the ") || l.contains("drained in")
        || l.contains("stopped in")).forEach(l -> System.out.println("  service: " + l));

    assertThat(inFlightAtSigterm).isGreaterThanOrEqualTo(REQUESTS);
    assertThat(answers).as("every booking answered with 201 or 409 event_full")
        .containsOnlyKeys("201 confirmed", "201 waitlisted", "409 event_full");
    assertThat(answers.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(REQUESTS);
    assertThat(confirmed).isEqualTo(CAPACITY);
    assertThat(waitlisted).isEqualTo(WAITLIST);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", eventId))
        .as("confirmed rows = 201 confirmed").isEqualTo(confirmed);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId))
        .as("waitlisted rows = 201 waitlisted").isEqualTo(waitlisted);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(confirmed);
    assertThat(db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(waitlisted);
    assertThat(late.describe()).as("the booking sent during the delay").isEqualTo("201 confirmed");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", otherEventId)).isEqualTo(1);

    assertThat(code).as("exit code after SIGTERM").isZero();
    assertThat(exitMs).as("SIGTERM to exit").isLessThan(DELAY_MS + GRACE_MS + 5_000L);
    assertThat(db.count("SELECT count(*) FROM scheduler_lease WHERE holder = 'drain-node' AND expires_at <= now()"))
        .as("the lease handed back, not left to expire").isEqualTo(1);
    List<String> log = service.output();
    assertThat(log).anyMatch(l -> l.contains("drain-node steps down as scheduler leader"));
    assertThat(log).anyMatch(l -> l.contains("stopped the API in"));
    assertThat(log).as("the log of the stop").noneMatch(l -> l.contains(" ERROR "));
  }

  /** A request's answer, or the transport error it got instead (a reset, a closed connection). */
  private record Outcome(Api.Res res, Throwable error) {
    String describe() {
      if (error != null) {
        Throwable root = error;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        return "error " + root.getClass().getSimpleName() + ": " + root.getMessage();
      }
      if (res.status() == 201) {
        return "201 " + res.json().getString("status");
      }
      String body = res.raw().body();
      return res.status() + " " + (body.startsWith("{") ? res.json().getString("code") : body);
    }
  }

  private static String createEvent(Api api, String admin, int capacity, int waitlist) {
    Instant start = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    Api.Res event = api.post("/v1/events", admin, new JsonObject().put("title", "Drain test")
        .put("startsAt", start.toString()).put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
        .put("capacity", capacity).put("waitlistCapacity", waitlist));
    assertThat(event.status()).as(event.toString()).isEqualTo(201);
    return event.json().getString("id");
  }

  /** Requests the server is handling now, from its own metrics. */
  private static long activeRequests(Api api) {
    String text = api.call("GET", "/metrics").send().raw().body();
    return (long) text.lines().filter(l -> l.startsWith("vertx_http_server_active_requests"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** A request on a new connection: refused, or 503; a hang (no answer in 5 s) fails the test. */
  private static String newConnectionAfterDelay(int port) throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> res = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).as("a new connection after the delay: " + res.body()).isEqualTo(503);
      return "503";
    } catch (ConnectException e) {
      return "connection refused";
    } catch (HttpTimeoutException e) {
      throw new AssertionError("a new connection after the delay was left hanging", e);
    } catch (java.io.IOException e) {
      throw new AssertionError("a new connection after the delay failed otherwise: " + e, e);
    }
  }

  private static Api.Res eventuallyRes(java.util.function.Supplier<Api.Res> call,
                                       java.util.function.Predicate<Api.Res> done) throws InterruptedException {
    Api.Res last = null;
    for (int i = 0; i < 50; i++) {
      last = call.get();
      if (done.test(last)) {
        return last;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("not within a second: " + last);
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
