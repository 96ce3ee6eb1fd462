package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input of every kind is a 4xx problem+json with the contract's stable code, never a 500 and never a
 * stack trace, and it writes nothing: the member, event, booking, outbox and idempotency-key tables are
 * unchanged after each rejected request. Every body below is otherwise valid, so a server that let the bad
 * part through would create a row and fail the test.
 */
class BadInputTest extends ApiTestBase {

  private String eventId;
  private Person booker;

  @BeforeAll
  void fixtures() {
    eventId = createEvent(50, 0).getString("id");
    booker = member();
  }

  // ----- bodies -------------------------------------------------------------------------------------

  @Test
  void malformedJsonIsValidationFailed() {
    rejects(api.call("POST", "/v1/events").token(admin.token()).json("{\"title\": \"Spin\", \"capacity\": 10,"),
        400, "validation_failed");
    rejects(api.call("POST", "/v1/bookings").token(booker.token()).json("{\"eventId\": \"" + eventId + "\""),
        400, "validation_failed");
    rejects(api.call("POST", "/v1/members").token(admin.token()).json("not json at all"),
        400, "validation_failed");
  }

  @Test
  void unknownFieldIsNamedInErrors() {
    Api.Res res = rejects(api.call("POST", "/v1/bookings").token(booker.token())
        .json(new JsonObject().put("eventId", eventId).put("seatNumber", 7)), 400, "validation_failed");
    assertThat(fields(res)).as(res.toString()).contains("seatNumber");

    Api.Res event = rejects(api.call("POST", "/v1/events").token(admin.token())
        .json(validEvent().put("colour", "red")), 400, "validation_failed");
    assertThat(fields(event)).as(event.toString()).contains("colour");
  }

  @Test
  void wrongTypesAreNamedInErrors() {
    Api.Res capacity = rejects(api.call("POST", "/v1/events").token(admin.token())
        .json(validEvent().put("capacity", "ten")), 400, "validation_failed");
    assertThat(fields(capacity)).as(capacity.toString()).contains("capacity");

    Api.Res email = rejects(api.call("POST", "/v1/members").token(admin.token())
        .json(validMember().put("email", 5)), 400, "validation_failed");
    assertThat(fields(email)).as(email.toString()).contains("email");
  }

  @Test
  void declaredFieldWithWrongTypeIsNotReportedAsUnknown() {
    // The message is the only thing that tells a client "wrong value" from "no such field": a declared
    // property with a bad value must not be reported as an additional (unknown) property.
    Api.Res res = rejects(api.call("POST", "/v1/members").token(admin.token())
        .json(validMember().put("email", 5)), 400, "validation_failed");
    Api.Res event = rejects(api.call("POST", "/v1/events").token(admin.token())
        .json(validEvent().put("capacity", "ten")), 400, "validation_failed");
    for (Api.Res r : List.of(res, event)) {
      for (Object e : r.json().getJsonArray("errors")) {
        assertThat(((JsonObject) e).getString("message")).as(r.toString()).doesNotContainIgnoringCase("additional propert");
      }
    }
  }

  @Test
  void severalInvalidFieldsGiveSeveralErrors() {
    JsonObject body = validEvent().put("capacity", "ten").put("title", 42).put("waitlistCapacity", -1);
    Api.Res res = rejects(api.call("POST", "/v1/events").token(admin.token()).json(body), 400, "validation_failed");
    assertThat(fields(res)).as(res.toString()).contains("capacity", "title", "waitlistCapacity");
    for (Object e : res.json().getJsonArray("errors")) {
      assertThat(((JsonObject) e).getString("message")).as(res.toString()).isNotBlank();
    }
  }

  @Test
  void missingRequiredFieldsAreNamed() {
    Api.Res event = rejects(api.call("POST", "/v1/events").token(admin.token())
        .json(new JsonObject().put("title", "Spin class")), 400, "validation_failed");
    assertThat(fields(event)).as(event.toString()).contains("startsAt", "endsAt", "capacity");

    Api.Res booking = rejects(api.call("POST", "/v1/bookings").token(booker.token()).json(new JsonObject()),
        400, "validation_failed");
    assertThat(fields(booking)).as(booking.toString()).contains("eventId");

    Api.Res member = rejects(api.call("POST", "/v1/members").token(admin.token())
        .json(new JsonObject().put("name", "No Email")), 400, "validation_failed");
    assertThat(fields(member)).as(member.toString()).contains("email");
  }

  @Test
  void missingBodyIsValidationFailed() {
    rejects(api.call("POST", "/v1/bookings").token(booker.token()).header("Content-Type", "application/json"),
        400, "validation_failed");
  }

  @Test
  void invalidUuidInPathAndBody() {
    Api.Res path = rejects(api.call("GET", "/v1/events/not-a-uuid").token(admin.token()), 400, "validation_failed");
    assertThat(fields(path)).as(path.toString()).contains("id");
    rejects(api.call("DELETE", "/v1/bookings/not-a-uuid").token(admin.token()), 400, "validation_failed");

    Api.Res body = rejects(api.call("POST", "/v1/bookings").token(booker.token())
        .json(new JsonObject().put("eventId", "not-a-uuid")), 400, "validation_failed");
    assertThat(fields(body)).as(body.toString()).contains("eventId");

    Api.Res member = rejects(api.call("POST", "/v1/bookings").token(admin.token())
        .json(new JsonObject().put("eventId", eventId).put("memberId", "12345")), 400, "validation_failed");
    assertThat(fields(member)).as(member.toString()).contains("memberId");
  }

  // ----- query parameters ---------------------------------------------------------------------------

  @Test
  void limitOutOfRangeOrNotANumber() {
    for (String limit : List.of("0", "1000", "101", "-1", "abc")) {
      Api.Res res = rejects(api.call("GET", "/v1/events?limit=" + limit).token(admin.token()), 400,
          "validation_failed");
      assertThat(fields(res)).as("limit=" + limit + ": " + res).contains("limit");
    }
    rejects(api.call("GET", "/v1/bookings?limit=0").token(admin.token()), 400, "validation_failed");
    rejects(api.call("GET", "/v1/members?limit=abc").token(admin.token()), 400, "validation_failed");
  }

  @Test
  void limitBoundsAreAccepted() {
    // the other side of the boundary: 1 and 100 are valid, so the 400s above are about the range
    assertThat(api.get("/v1/events?limit=1", admin.token()).status()).isEqualTo(200);
    assertThat(api.get("/v1/events?limit=100", admin.token()).status()).isEqualTo(200);
  }

  @Test
  void cursorNotIssuedByUsIsValidationFailed() {
    String notOurs = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    String notJson = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("hello, world".getBytes(StandardCharsets.UTF_8));
    String badId = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"k\":\"2026-01-01T00:00:00Z\",\"i\":\"nope\"}".getBytes(StandardCharsets.UTF_8));
    for (String cursor : List.of("!!!", notOurs, notJson, badId)) {
      for (String list : List.of("/v1/events", "/v1/bookings", "/v1/members")) {
        Api.Res res = rejects(api.call("GET", list + "?cursor=" + cursor).token(admin.token()), 400,
            "validation_failed");
        assertThat(fields(res)).as(list + " cursor=" + cursor + ": " + res).contains("cursor");
      }
    }
  }

  // ----- transport ----------------------------------------------------------------------------------

  @Test
  void bodyOver64KibIsPayloadTooLarge() {
    JsonObject big = validEvent().put("description", "x".repeat(70 * 1024));
    rejects(api.call("POST", "/v1/events").token(admin.token()).json(big), 413, "payload_too_large");
    JsonObject bigBooking = new JsonObject().put("eventId", eventId).put("padding", "y".repeat(65 * 1024));
    rejects(api.call("POST", "/v1/bookings").token(booker.token()).json(bigBooking), 413, "payload_too_large");
  }

  @Test
  void nonJsonContentTypeIsUnsupportedMediaType() {
    rejects(api.call("POST", "/v1/events").token(admin.token()).raw("text/plain", validEvent().encode()),
        415, "unsupported_media_type");
    rejects(api.call("POST", "/v1/bookings").token(booker.token())
        .raw("application/x-www-form-urlencoded", "eventId=" + eventId), 415, "unsupported_media_type");
    rejects(api.call("PATCH", "/v1/events/" + eventId).token(admin.token())
        .raw("text/plain", new JsonObject().put("title", "Renamed").encode()), 415, "unsupported_media_type");
    assertThat(api.get("/v1/events/" + eventId, admin.token()).json().getString("title")).isEqualTo("Spin class");
  }

  @Test
  void unknownRoutesAreNotFound() {
    rejects(api.call("GET", "/v1/nothing-here").token(admin.token()), 404, "not_found");
    rejects(api.call("POST", "/v1/nothing-here").token(admin.token()).json(new JsonObject()), 404, "not_found");
    rejects(api.call("GET", "/nothing-here"), 404, "not_found");
    rejects(api.call("GET", "/"), 404, "not_found");
  }

  @Test
  void wrongMethodIsMethodNotAllowed() {
    Api.Res put = rejects(api.call("PUT", "/v1/events").token(admin.token()).json(validEvent()), 405, null);
    assertThat(put.code()).isNotBlank();
    Api.Res delete = rejects(api.call("DELETE", "/v1/events").token(admin.token()), 405, null);
    assertThat(delete.code()).isNotBlank();
  }

  @Test
  void invalidIdempotencyKeyIsValidationFailed() {
    JsonObject body = new JsonObject().put("eventId", eventId);
    for (String key : List.of("", "k".repeat(256))) {
      Api.Res res = rejects(api.call("POST", "/v1/bookings").token(booker.token()).header("Idempotency-Key", key)
          .json(body), 400, "validation_failed");
      assertThat(fields(res)).as("key of " + key.length() + " chars: " + res).contains("Idempotency-Key");
    }
    Api.Res event = rejects(api.call("POST", "/v1/events").token(admin.token())
        .header("Idempotency-Key", "e".repeat(256)).json(validEvent()), 400, "validation_failed");
    assertThat(fields(event)).as(event.toString()).contains("Idempotency-Key");
  }

  @Test
  void idempotencyKeyOf255CharsIsAccepted() {
    // the boundary: 255 characters is a valid key, so the 400 above is about the length
    Person someone = member();
    Api.Res res = api.call("POST", "/v1/bookings").token(someone.token()).header("Idempotency-Key", "k".repeat(255))
        .json(new JsonObject().put("eventId", eventId)).send();
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
  }

  // ----- helpers ------------------------------------------------------------------------------------

  private JsonObject validEvent() {
    Instant start = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    return new JsonObject().put("title", "Spin class").put("startsAt", start.toString())
        .put("endsAt", start.plus(1, ChronoUnit.HOURS).toString()).put("capacity", 10);
  }

  private static JsonObject validMember() {
    return new JsonObject().put("email", "new-" + UUID.randomUUID() + "@example.com").put("name", "New Member");
  }

  private record Counts(long members, long events, long bookings, long outbox, long idempotencyKeys) {
  }

  private Counts counts() {
    return new Counts(db.count("SELECT count(*) FROM members"), db.count("SELECT count(*) FROM events"),
        db.count("SELECT count(*) FROM bookings"), db.count("SELECT count(*) FROM outbox"),
        db.count("SELECT count(*) FROM idempotency_keys"));
  }

  /**
   * Sends the request and asserts a problem+json with the status (and the code, when given), a complete
   * problem body without any Java internals, and no row written anywhere.
   */
  private Api.Res rejects(Api.Call call, int status, String code) {
    Counts before = counts();
    Api.Res res = call.send();
    assertThat(res.status()).as(res.toString()).isEqualTo(status);
    if (code != null) {
      assertProblem(res, status, code);
    } else {
      assertThat(res.contentType()).as(res.toString()).startsWith("application/problem+json");
    }
    String body = res.raw().body();
    assertThat(body).as("no Java internals in the body").doesNotContain("Exception").doesNotContain("\tat ")
        .doesNotContain("java.").doesNotContain("io.vertx");
    JsonObject problem = res.json();
    assertThat(problem.getString("type")).as(res.toString()).isNotBlank();
    assertThat(problem.getString("title")).as(res.toString()).isNotBlank();
    assertThat(problem.getInteger("status")).as(res.toString()).isEqualTo(status);
    assertThat(problem.getString("detail")).as(res.toString()).isNotBlank();
    assertThat(problem.getString("instance")).as(res.toString()).isEqualTo(pathOf(res));
    assertThat(problem.getString("code")).as(res.toString()).isNotBlank();
    if ("validation_failed".equals(code)) {
      JsonArray errors = problem.getJsonArray("errors");
      assertThat(errors).as(res.toString()).isNotNull().isNotEmpty();
      for (Object e : errors) {
        assertThat(((JsonObject) e).getString("field")).as(res.toString()).isNotBlank();
        assertThat(((JsonObject) e).getString("message")).as(res.toString()).isNotBlank();
      }
    }
    assertThat(counts()).as("rows after " + res).isEqualTo(before);
    return res;
  }

  private static String pathOf(Api.Res res) {
    return res.raw().uri().getRawPath();
  }

  private static List<String> fields(Api.Res res) {
    List<String> fields = new ArrayList<>();
    JsonArray errors = res.json().getJsonArray("errors", new JsonArray());
    for (Object e : errors) {
      fields.add(((JsonObject) e).getString("field"));
    }
    return fields;
  }
}
