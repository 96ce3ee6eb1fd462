package bookings;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Idempotency-Key on POST /v1/bookings and POST /v1/events, as openapi.yaml describes it. */
class IdempotencyTest extends ApiTestBase {

  private static final String REPLAYED = "Idempotent-Replayed";

  @Test
  void aBookingReplayReturnsTheStoredResponseAndBooksNothingAgain() {
    String eventId = createEvent(5, 0).getString("id");
    Person m = member();
    String key = key();
    String body = new JsonObject().put("eventId", eventId).encode();

    Api.Res first = post("/v1/bookings", m.token(), key, body);
    assertThat(first.status()).as(first.toString()).isEqualTo(201);
    assertThat(first.header(REPLAYED)).isNull();
    String bookingId = first.json().getString("id");

    Api.Res replay = post("/v1/bookings", m.token(), key, body);
    assertThat(replay.status()).as(replay.toString()).isEqualTo(201);
    assertThat(replay.header(REPLAYED)).isEqualTo("true");
    assertThat(replay.raw().body()).isEqualTo(first.raw().body());
    assertThat(replay.header("Location")).isEqualTo(first.header("Location")).isEqualTo("/v1/bookings/" + bookingId);
    assertThat(replay.contentType()).isEqualTo(first.contentType());

    // a third time, still the same
    Api.Res again = post("/v1/bookings", m.token(), key, body);
    assertThat(again.header(REPLAYED)).isEqualTo("true");
    assertThat(again.raw().body()).isEqualTo(first.raw().body());

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM idempotency_keys WHERE key = ? AND status = 'done'", key)).isEqualTo(1);

    // without a key, the same request is processed again: already booked
    assertProblem(api.post("/v1/bookings", m.token(), body), 409, "already_booked");
  }

  @Test
  void anEventReplayReturnsTheStoredResponseAndCreatesNoSecondEvent() {
    String key = key();
    String title = "Idempotent yoga " + UUID.randomUUID();
    String body = eventBody(title, 12).encode();

    Api.Res first = post("/v1/events", admin.token(), key, body);
    assertThat(first.status()).as(first.toString()).isEqualTo(201);
    assertThat(first.header(REPLAYED)).isNull();
    Api.Res replay = post("/v1/events", admin.token(), key, body);
    assertThat(replay.status()).isEqualTo(201);
    assertThat(replay.header(REPLAYED)).isEqualTo("true");
    assertThat(replay.raw().body()).isEqualTo(first.raw().body());
    assertThat(replay.header("Location")).isEqualTo(first.header("Location"))
        .isEqualTo("/v1/events/" + first.json().getString("id"));
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isEqualTo(1);
  }

  @Test
  void theSameKeyWithAnotherBodyIsKeyReused() {
    String e1 = createEvent(5, 0).getString("id");
    String e2 = createEvent(5, 0).getString("id");
    Person m = member();
    String key = key();

    Api.Res first = post("/v1/bookings", m.token(), key, new JsonObject().put("eventId", e1).encode());
    assertThat(first.status()).as(first.toString()).isEqualTo(201);
    Api.Res other = post("/v1/bookings", m.token(), key, new JsonObject().put("eventId", e2).encode());
    assertProblem(other, 422, "idempotency_key_reused");
    assertThat(other.header(REPLAYED)).isNull();
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", e2)).isZero();
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isEqualTo(1);

    // the original is still replayed after the refusal
    Api.Res replay = post("/v1/bookings", m.token(), key, new JsonObject().put("eventId", e1).encode());
    assertThat(replay.header(REPLAYED)).isEqualTo("true");
    assertThat(replay.raw().body()).isEqualTo(first.raw().body());

    // the same for events
    String eventKey = key();
    String title = "Reused key " + UUID.randomUUID();
    assertThat(post("/v1/events", admin.token(), eventKey, eventBody(title, 5).encode()).status()).isEqualTo(201);
    assertProblem(post("/v1/events", admin.token(), eventKey, eventBody(title, 6).encode()), 422,
        "idempotency_key_reused");
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isEqualTo(1);
    assertThat(db.count("SELECT capacity FROM events WHERE title = ?", title)).isEqualTo(5);
  }

  @Test
  void concurrentRequestsWithOneKeyAreProcessedOnce() throws Exception {
    String eventId = createEvent(5, 0).getString("id");
    Person m = member();
    String key = key();
    String body = new JsonObject().put("eventId", eventId).encode();

    List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(api.call("POST", "/v1/bookings").token(m.token()).header("Idempotency-Key", key).json(body)
          .sendAsync());
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    List<Api.Res> processed = new ArrayList<>();
    List<Api.Res> replayed = new ArrayList<>();
    int inFlight = 0;
    for (CompletableFuture<Api.Res> call : calls) {
      Api.Res res = call.get();
      if (res.status() == 201 && res.header(REPLAYED) == null) {
        processed.add(res);
      } else if (res.status() == 201 && "true".equals(res.header(REPLAYED))) {
        replayed.add(res);
      } else {
        assertProblem(res, 409, "idempotency_in_flight");
        inFlight++;
      }
    }
    assertThat(processed).as("requests processed").hasSize(1);
    assertThat(processed.size() + replayed.size() + inFlight).isEqualTo(10);
    for (Api.Res res : replayed) {
      assertThat(res.raw().body()).isEqualTo(processed.get(0).raw().body());
    }
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(1);

    // once done, a retry is a replay
    Api.Res later = post("/v1/bookings", m.token(), key, body);
    assertThat(later.header(REPLAYED)).isEqualTo("true");
    assertThat(later.raw().body()).isEqualTo(processed.get(0).raw().body());
  }

  @Test
  void concurrentEventCreationsWithOneKeyCreateOneEvent() throws Exception {
    String key = key();
    String title = "Concurrent key " + UUID.randomUUID();
    String body = eventBody(title, 7).encode();
    List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(api.call("POST", "/v1/events").token(admin.token()).header("Idempotency-Key", key).json(body)
          .sendAsync());
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    int processed = 0;
    for (CompletableFuture<Api.Res> call : calls) {
      Api.Res res = call.get();
      if (res.status() == 201) {
        if (res.header(REPLAYED) == null) {
          processed++;
        }
      } else {
        assertProblem(res, 409, "idempotency_in_flight");
      }
    }
    assertThat(processed).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isEqualTo(1);
  }

  @Test
  void keysAreScopedPerCaller() {
    String eventId = createEvent(5, 0).getString("id");
    Person a = member();
    Person b = member();
    String key = key();
    String body = new JsonObject().put("eventId", eventId).encode();

    Api.Res forA = post("/v1/bookings", a.token(), key, body);
    assertThat(forA.status()).as(forA.toString()).isEqualTo(201);
    assertThat(forA.json().getString("memberId")).isEqualTo(a.id());

    // the same key and the very same bytes from another caller: processed afresh, for that caller
    Api.Res forB = post("/v1/bookings", b.token(), key, body);
    assertThat(forB.status()).as(forB.toString()).isEqualTo(201);
    assertThat(forB.header(REPLAYED)).isNull();
    assertThat(forB.json().getString("memberId")).isEqualTo(b.id());
    assertThat(forB.json().getString("id")).isNotEqualTo(forA.json().getString("id"));

    // and a body that differs from the first caller's is no "reuse" for another caller
    Api.Res byAdmin = post("/v1/events", admin.token(), key, eventBody("Scoped " + UUID.randomUUID(), 3).encode());
    assertThat(byAdmin.status()).as(byAdmin.toString()).isEqualTo(201);
    assertThat(byAdmin.header(REPLAYED)).isNull();

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM idempotency_keys WHERE key = ?", key)).isEqualTo(3);

    // each caller's replay is its own
    Api.Res replayA = post("/v1/bookings", a.token(), key, body);
    assertThat(replayA.header(REPLAYED)).isEqualTo("true");
    assertThat(replayA.raw().body()).isEqualTo(forA.raw().body());
    Api.Res replayB = post("/v1/bookings", b.token(), key, body);
    assertThat(replayB.header(REPLAYED)).isEqualTo("true");
    assertThat(replayB.raw().body()).isEqualTo(forB.raw().body());
  }

  @Test
  void aStoredConflictIsReplayedIdentically() {
    String eventId = createEvent(1, 0).getString("id");
    assertThat(book(member(), eventId).status()).isEqualTo(201);
    Person late = member();
    String key = key();
    String body = new JsonObject().put("eventId", eventId).encode();

    Api.Res full = post("/v1/bookings", late.token(), key, body);
    assertProblem(full, 409, "event_full");
    assertThat(full.header(REPLAYED)).isNull();

    // a seat frees up; the stored answer under the key does not change
    Api.Res grown = api.patch("/v1/events/" + eventId, admin.token(), new JsonObject().put("capacity", 2));
    assertThat(grown.status()).as(grown.toString()).isEqualTo(200);
    assertThat(grown.json().getInteger("seatsLeft")).isEqualTo(1);

    Api.Res replay = post("/v1/bookings", late.token(), key, body);
    assertThat(replay.status()).isEqualTo(409);
    assertThat(replay.header(REPLAYED)).isEqualTo("true");
    assertThat(replay.contentType()).isEqualTo(full.contentType());
    assertThat(replay.raw().body()).isEqualTo(full.raw().body());
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", late.id())).isZero();

    // under a new key the request runs again and now finds the seat
    Api.Res fresh = post("/v1/bookings", late.token(), key(), body);
    assertThat(fresh.status()).as(fresh.toString()).isEqualTo(201);
    assertThat(fresh.header(REPLAYED)).isNull();
    assertThat(fresh.json().getString("status")).isEqualTo("confirmed");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", late.id())).isEqualTo(1);
  }

  @Test
  void aKeyOfMoreThan255CharactersIsRejected() {
    String eventId = createEvent(5, 0).getString("id");
    Person m = member();
    String body = new JsonObject().put("eventId", eventId).encode();

    Api.Res tooLong = post("/v1/bookings", m.token(), "k".repeat(256), body);
    assertProblem(tooLong, 400, "validation_failed");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isZero();
    assertThat(db.count("SELECT count(*) FROM idempotency_keys WHERE length(key) > 255")).isZero();

    Api.Res eventTooLong = post("/v1/events", admin.token(), "e".repeat(300), eventBody("Too long key", 3).encode());
    assertProblem(eventTooLong, 400, "validation_failed");
    assertThat(db.count("SELECT count(*) FROM events WHERE title = 'Too long key'")).isZero();

    // 255 is still fine, and replays
    String longest = "x".repeat(255);
    Api.Res ok = post("/v1/bookings", m.token(), longest, body);
    assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
    Api.Res replay = post("/v1/bookings", m.token(), longest, body);
    assertThat(replay.header(REPLAYED)).isEqualTo("true");
    assertThat(replay.raw().body()).isEqualTo(ok.raw().body());
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isEqualTo(1);
  }

  // ---------------------------------------------------------------- helpers

  private Api.Res post(String path, String token, String key, String body) {
    return api.call("POST", path).token(token).header("Idempotency-Key", key).json(body).send();
  }

  private static String key() {
    return "key-" + UUID.randomUUID();
  }

  private static JsonObject eventBody(String title, int capacity) {
    Instant start = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    return new JsonObject().put("title", title).put("startsAt", start.toString())
        .put("endsAt", start.plus(1, ChronoUnit.HOURS).toString()).put("capacity", capacity);
  }
}
