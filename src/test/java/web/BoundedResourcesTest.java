package web;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;
import support.RosterApp;

import java.io.InputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing grows without limit when the database is stuck or a client is hostile: a booking waits a bounded time in a
 * bounded queue, a statement and a request end within their timeouts, connections and request heads are bounded.
 * The database is stuck for real: the test holds the event's row lock in its own transaction.
 */
class BoundedResourcesTest extends ApiTestBase {

  /** A second service on the same database: short request timeout, long statement timeout, short idle timeout. */
  private RosterApp patient;
  private Api patientApi;

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of(
        "ROSTER_HTTP_INSTANCES", "1",
        "ROSTER_BOOKING_BATCH_CONCURRENCY", "1",
        "ROSTER_BOOKING_QUEUE_MAX", "3",
        "ROSTER_BOOKING_QUEUE_TIMEOUT_MS", "1000",
        "ROSTER_PG_STATEMENT_TIMEOUT_MS", "2500",
        "ROSTER_HTTP_REQUEST_TIMEOUT_MS", "20000",
        "ROSTER_HTTP_MAX_URI_LENGTH", "1024",
        "ROSTER_HTTP_MAX_HEADER_BYTES", "4096");
  }

  @BeforeAll
  void startPatientService() {
    patient = RosterApp.start(db, issuer, Map.of(
        "ROSTER_HTTP_INSTANCES", "1",
        "ROSTER_HTTP_REQUEST_TIMEOUT_MS", "1500",
        "ROSTER_PG_STATEMENT_TIMEOUT_MS", "60000",
        "ROSTER_HTTP_IDLE_TIMEOUT_SECONDS", "2"));
    patientApi = new Api(patient.baseUrl());
  }

  @AfterAll
  void stopPatientService() {
    if (patient != null) {
      patient.close();
    }
  }

  @Test
  void whileTheEventRowIsLockedBookingsAreRefusedOrTimedOutAndNoneHappensLater() throws Exception {
    String eventId = createEvent(10, 0).getString("id");
    List<Person> people = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      people.add(member());
    }
    List<Api.Res> answers = new ArrayList<>();
    try (Connection lock = lockEvent(eventId)) {
      // the first booking's batch blocks on the lock; three more wait for a batch, the fifth finds the queue full
      CompletableFuture<Api.Res> first = bookAsync(people.get(0), eventId);
      awaitBlockedOnLock();
      List<CompletableFuture<Api.Res>> rest = new ArrayList<>();
      for (Person p : people.subList(1, 5)) {
        rest.add(bookAsync(p, eventId));
      }
      // all answered while the database is still stuck: nobody waits for it
      for (CompletableFuture<Api.Res> call : rest) {
        answers.add(call.get(30, TimeUnit.SECONDS));
      }
      Api.Res blocked = first.get(30, TimeUnit.SECONDS);
      // statement_timeout ended the blocked transaction (retried alone, ended again): 503, the booking not made
      assertProblem(blocked, 503, "unavailable");
      assertThat(blocked.header("Retry-After")).isNull();
    }
    List<String> details = new ArrayList<>();
    for (Api.Res res : answers) {
      assertProblem(res, 503, "overloaded");
      assertThat(res.header("Retry-After")).as(res.toString()).isEqualTo("1");
      details.add(res.json().getString("detail"));
    }
    assertThat(details).as("one refused because the queue was full, three after waiting their time")
        .filteredOn(d -> d.contains("Too many")).hasSize(1);
    assertThat(details).filteredOn(d -> d.contains("waited")).hasSize(3);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId))
        .as("no refused or cancelled booking was made once the lock went").isZero();
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isZero();

    // and the service is healthy again
    assertThat(book(people.get(0), eventId).status()).isEqualTo(201);
  }

  @Test
  void aRequestThatOutlivesTheRequestTimeoutGets503WithRetryAfter() throws Exception {
    String eventId = createEvent(10, 0).getString("id");
    try (Connection lock = lockEvent(eventId)) {
      Api.Res res = patientApi.patch("/v1/events/" + eventId, admin.token(), new JsonObject().put("title", "Moved"));
      assertProblem(res, 503, "unavailable");
      assertThat(res.header("Retry-After")).isEqualTo("1");
    }
    Api.Res after = patientApi.get("/v1/events/" + eventId, admin.token());
    assertThat(after.status()).isEqualTo(200);
  }

  @Test
  void tooLongARequestLineIs414AndTooLargeAHeaderBlockIs431() {
    Api.Res longUri = api.get("/v1/events?cursor=" + "a".repeat(2000), admin.token());
    assertThat(longUri.status()).as(longUri.toString()).isEqualTo(414);
    Api.Res bigHeaders = api.call("GET", "/v1/events").token(admin.token()).header("X-Padding", "p".repeat(6000))
        .send();
    assertThat(bigHeaders.status()).as(bigHeaders.toString()).isEqualTo(431);
    // within the limits all is as usual
    assertThat(api.get("/v1/events?limit=5", admin.token()).status()).isEqualTo(200);
  }

  @Test
  void anIdleConnectionIsClosedByTheServer() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", patient.port())) {
      socket.setSoTimeout(30_000);
      InputStream in = socket.getInputStream();
      assertThat(in.read()).as("end of stream: the server closed the idle connection").isEqualTo(-1);
    }
  }

  private CompletableFuture<Api.Res> bookAsync(Person who, String eventId) {
    return api.call("POST", "/v1/bookings").token(who.token()).json(new JsonObject().put("eventId", eventId))
        .sendAsync();
  }

  /** Holds the event's row lock in an open transaction until the connection closes. */
  private Connection lockEvent(String eventId) throws Exception {
    Connection c = db.connect();
    c.setAutoCommit(false);
    try (PreparedStatement st = c.prepareStatement("SELECT id FROM events WHERE id = ?::uuid FOR UPDATE")) {
      st.setString(1, eventId);
      st.executeQuery().close();
    }
    return c;
  }

  /** Until some session of the service waits for a row lock. */
  private void awaitBlockedOnLock() throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          + "AND wait_event_type = 'Lock'") > 0) {
        return;
      }
      Thread.sleep(25);
    }
    throw new AssertionError("no booking blocked on the event's row lock");
  }
}
