package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import support.Api;
import support.ApiTestBase;
import support.ContractBodies;
import support.ContractBodies.Field;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * Bad input of every kind is a 4xx problem+json with the contract's stable code, never a 500 and never a
 * stack trace, and it writes nothing: every table a request may write (members, events, bookings, outbox,
 * idempotency keys, schedules, jobs and runs) holds exactly the same rows after each rejected request. Every
 * body below is otherwise valid, so a server that let the bad part through would create or change a row and
 * fail the test. The string and format fields are read from openapi.yaml, so a field added there is covered.
 */
class BadInputTest extends ApiTestBase {

  /** Strings PostgreSQL cannot store or that no field takes, as JSON literals (escapes kept as sent). */
  private static final Map<String, String> BAD_TEXT = Map.of(
      "a NUL character", "\"Spin\\u0000class\"",
      "a lone surrogate", "\"Spin\\ud800class\"",
      "10,000 characters", "\"" + "x".repeat(10_000) + "\"");

  /** A value of each format that looks close to right and is not. */
  private static final Map<String, String> MALFORMED = Map.of(
      "email", "ada.example.com",
      "date-time", "2027-02-30T18:00:00Z",
      "date", "2027-02-30",
      "uuid", "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0",
      "uri", "not a uri");

  private String eventId;
  private Person booker;
  private String jobId;
  private String webhookId;

  @Override
  protected Map<String, String> serviceSettings() {
    // no scheduled run may write rows while a test compares them
    return Map.of("ROSTER_SCHEDULER_ENABLED", "false");
  }

  @BeforeAll
  void fixtures() {
    eventId = createEvent(50, 0).getString("id");
    booker = member();
    Api.Res job = api.post("/v1/cron-schedule", admin.token(),
        new JsonObject().put("taskName", "generate_schedule").put("cronExpression", "0 3 * * *"));
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    jobId = job.json().getString("id");
    Api.Res webhook = api.post("/v1/webhooks", admin.token(), validWebhook());
    assertThat(webhook.status()).as(webhook.toString()).isEqualTo(201);
    webhookId = webhook.json().getString("id");
  }

  /** A public address as a literal: accepted without resolving a name (nothing is ever sent to it here). */
  private static JsonObject validWebhook() {
    return new JsonObject().put("url", "https://93.184.215.14/roster-hooks")
        .put("eventTypes", new io.vertx.core.json.JsonArray().add("booking.confirmed")).put("description", "partner");
  }

  // ----- every field of every request body, from the contract ---------------------------------------

  @TestFactory
  Stream<DynamicTest> everyStringFieldRefusesNulLoneSurrogateAndHugeText() {
    return ContractBodies.fields().stream().filter(Field::takesText).flatMap(field -> BAD_TEXT.entrySet().stream()
        .map(bad -> dynamicTest(field + " with " + bad.getKey(), () -> refusesField(field, bad.getValue()))));
  }

  @TestFactory
  Stream<DynamicTest> everyFormatFieldRefusesEmptyAndMalformed() {
    return ContractBodies.fields().stream().filter(f -> f.format() != null).flatMap(field -> {
      String malformed = MALFORMED.get(field.format());
      assertThat(malformed).as("a malformed value of format " + field.format() + " for " + field).isNotNull();
      return Stream.of(
          dynamicTest(field + " empty", () -> refusesField(field, "\"\"")),
          dynamicTest(field + " malformed: " + malformed, () -> refusesField(field, "\"" + malformed + "\"")));
    });
  }

  @Test
  void theContractHasBodiesWithTextAndFormats() {
    // guards the two factories above against walking an empty list
    assertThat(ContractBodies.fields()).filteredOn(Field::takesText).hasSizeGreaterThan(30);
    assertThat(ContractBodies.fields()).filteredOn(f -> f.format() != null)
        .extracting(Field::format).contains("email", "date-time", "date", "uuid");
  }

  /** The operation's valid body with one field set to {@code literal} (raw JSON): 400 naming that field. */
  private void refusesField(Field field, String literal) {
    Target target = target(field.operationId());
    JsonObject body = target.body().copy();
    String marker = "@@bad-" + UUID.randomUUID() + "@@";
    body.put(field.name(), field.isStringArray() ? new JsonArray().add(marker) : marker);
    String json = body.encode().replace("\"" + marker + "\"", literal);
    Api.Res res = rejects(api.call(field.method(), target.path()).token(admin.token()).json(json), 400,
        "validation_failed");
    assertThat(fields(res)).as(res.toString()).anyMatch(f -> f.equals(field.name()) || f.startsWith(field.name() + "."));
  }

  private record Target(String path, JsonObject body) {
  }

  /** Where each operation with a body is sent, and a body it accepts. */
  private Target target(String operationId) {
    return switch (operationId) {
      case "createMember" -> new Target("/v1/members", validMember());
      case "updateMember" -> new Target("/v1/members/" + booker.id(), new JsonObject());
      case "createEvent" -> new Target("/v1/events", validEvent());
      case "updateEvent" -> new Target("/v1/events/" + eventId, new JsonObject());
      case "createBooking" -> new Target("/v1/bookings",
          new JsonObject().put("eventId", eventId).put("memberId", booker.id()));
      case "createSchedule" -> new Target("/v1/schedules", validSchedule());
      case "createCronJob" -> new Target("/v1/cron-schedule",
          new JsonObject().put("taskName", "purge_expired").put("cronExpression", "0 3 * * *"));
      case "updateCronJob" -> new Target("/v1/cron-jobs/" + jobId, new JsonObject());
      case "triggerCronJob" -> new Target("/v1/cron-jobs/trigger", new JsonObject().put("jobId", jobId));
      case "createWebhook" -> new Target("/v1/webhooks", validWebhook());
      case "updateWebhook" -> new Target("/v1/webhooks/" + webhookId, new JsonObject());
      default -> throw new AssertionError("BadInputTest needs a valid body for " + operationId);
    };
  }

  // ----- text the contract's checks alone would let through -------------------------------------------

  @Test
  void nulOrLoneSurrogateInsideAJobPayloadIsNamed() {
    String nulValue = "{\"taskName\":\"purge_expired\",\"cronExpression\":\"0 3 * * *\","
        + "\"payload\":{\"note\":\"a\\u0000b\"}}";
    Api.Res value = rejects(api.call("POST", "/v1/cron-schedule").token(admin.token()).json(nulValue), 400,
        "validation_failed");
    assertThat(fields(value)).as(value.toString()).anyMatch(f -> f.startsWith("payload"));

    String surrogateKey = "{\"payload\":{\"we\\udc00eksAhead\":4}}";
    Api.Res key = rejects(api.call("PATCH", "/v1/cron-jobs/" + jobId).token(admin.token()).json(surrogateKey), 400,
        "validation_failed");
    assertThat(fields(key)).as(key.toString()).anyMatch(f -> f.startsWith("payload"));
  }

  @Test
  void unstorableTextIsRefusedBeforeItsIdempotencyKeyIsKept() {
    // rejects() compares idempotency_keys too: the key of a refused request is not stored
    String json = validEvent().put("title", "@@").encode().replace("\"@@\"", "\"Spin\\u0000class\"");
    Api.Res res = rejects(api.call("POST", "/v1/events").token(admin.token())
        .header("Idempotency-Key", "nul-" + UUID.randomUUID()).json(json), 400, "validation_failed");
    assertThat(fields(res)).as(res.toString()).containsExactly("title");
  }

  @Test
  void bodyThatIsNotUtf8IsValidationFailed() {
    String[] around = validEvent().put("title", "Spin @@").encode().split("@@");
    byte[] before = around[0].getBytes(StandardCharsets.UTF_8);
    byte[] after = around[1].getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[before.length + 2 + after.length];
    System.arraycopy(before, 0, body, 0, before.length);
    body[before.length] = (byte) 0xC3; // a lead byte without its continuation byte
    body[before.length + 1] = (byte) 0x28;
    System.arraycopy(after, 0, body, before.length + 2, after.length);
    rejects(api.call("POST", "/v1/events").token(admin.token()).bytes("application/json", body), 400,
        "validation_failed");
  }

  @Test
  void patternsDoNotAcceptATrailingNewline() {
    // Java's $ also matches before a final line break; the contract's patterns mean the end of the string
    Api.Res time = rejects(api.call("POST", "/v1/schedules").token(admin.token())
        .json(validSchedule().put("startTime", "18:00\n")), 400, "validation_failed");
    assertThat(fields(time)).as(time.toString()).contains("startTime");
    Api.Res phone = rejects(api.call("PATCH", "/v1/members/" + booker.id()).token(admin.token())
        .json(new JsonObject().put("phone", "+441234567890\n")), 400, "validation_failed");
    assertThat(fields(phone)).as(phone.toString()).contains("phone");
  }

  @Test
  void numbersNoIntegerHoldsAreNamed() {
    for (String capacity : List.of("123456789012345678901234567890", "1e400", "-1e400", "10.5")) {
      String json = validEvent().put("capacity", "@@n@@").encode().replace("\"@@n@@\"", capacity);
      Api.Res res = rejects(api.call("POST", "/v1/events").token(admin.token()).json(json), 400, "validation_failed");
      assertThat(fields(res)).as("capacity " + capacity + ": " + res).contains("capacity");
    }
  }

  @Test
  void hugeOrNulQueryValuesAreNamed() {
    // (a 10,000-character query is refused by the HTTP server before the router: 414)
    for (String from : List.of("x".repeat(2_000), "2027-01-01T00:00:00Z%00", "%00")) {
      Api.Res res = rejects(api.call("GET", "/v1/events?from=" + from).token(admin.token()), 400, "validation_failed");
      assertThat(fields(res)).as(res.toString()).contains("from");
    }
    Api.Res cursor = rejects(api.call("GET", "/v1/events?cursor=abc%00").token(admin.token()), 400,
        "validation_failed");
    assertThat(fields(cursor)).as(cursor.toString()).contains("cursor");
    Api.Res limit = rejects(api.call("GET", "/v1/events?limit=99999999999999999999999").token(admin.token()), 400,
        "validation_failed");
    assertThat(fields(limit)).as(limit.toString()).contains("limit");
  }

  // ----- job payloads ---------------------------------------------------------------------------------

  @Test
  void aPayloadItsTaskCannotRunIsRefusedWhenTheJobIsCreated() {
    Map<String, JsonObject> bad = Map.of(
        "generate_schedule", new JsonObject().put("weeksAhead", 60),
        "send_event_reminders", new JsonObject().put("windowHours", "a day"),
        "purge_expired", new JsonObject().put("retentionDays", 0));
    bad.forEach((task, payload) -> {
      Api.Res res = rejects(api.call("POST", "/v1/cron-schedule").token(admin.token()).json(new JsonObject()
          .put("taskName", task).put("cronExpression", "0 3 * * *").put("payload", payload)), 400, "validation_failed");
      String key = payload.fieldNames().iterator().next();
      assertThat(fields(res)).as(task + " " + payload + ": " + res).contains("payload." + key);
    });
  }

  @Test
  void aPayloadKeyItsTaskDoesNotTakeIsRefused() {
    Api.Res res = rejects(api.call("POST", "/v1/cron-schedule").token(admin.token()).json(new JsonObject()
        .put("taskName", "purge_expired").put("cronExpression", "0 3 * * *")
        .put("payload", new JsonObject().put("weeksAhead", 4))), 400, "validation_failed");
    assertThat(fields(res)).as(res.toString()).contains("payload.weeksAhead");
  }

  @Test
  void aPayloadItsTaskCannotRunIsRefusedWhenTheJobIsChanged() {
    Api.Res res = rejects(api.call("PATCH", "/v1/cron-jobs/" + jobId).token(admin.token())
        .json(new JsonObject().put("payload", new JsonObject().put("weeksAhead", 60))), 400, "validation_failed");
    assertThat(fields(res)).as(res.toString()).contains("payload.weeksAhead");
    Api.Res fraction = rejects(api.call("PATCH", "/v1/cron-jobs/" + jobId).token(admin.token())
        .json(new JsonObject().put("payload", new JsonObject().put("weeksAhead", 2.5))), 400, "validation_failed");
    assertThat(fields(fraction)).as(fraction.toString()).contains("payload.weeksAhead");
  }

  @Test
  void aPayloadItsTaskCanRunIsAccepted() {
    // the other side of the boundary: the largest weeksAhead, a fractional window
    Api.Res schedule = api.post("/v1/cron-schedule", admin.token(), new JsonObject().put("taskName", "generate_schedule")
        .put("cronExpression", "0 3 * * *").put("payload", new JsonObject().put("weeksAhead", 52)));
    assertThat(schedule.status()).as(schedule.toString()).isEqualTo(201);
    Api.Res reminders = api.post("/v1/cron-schedule", admin.token(), new JsonObject()
        .put("taskName", "send_event_reminders").put("cronExpression", "*/15 * * * *")
        .put("payload", new JsonObject().put("windowHours", 1.5)));
    assertThat(reminders.status()).as(reminders.toString()).isEqualTo(201);
    Api.Res changed = api.patch("/v1/cron-jobs/" + jobId, admin.token(),
        new JsonObject().put("payload", new JsonObject().put("weeksAhead", 8)));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    assertThat(changed.json().getJsonObject("payload").getInteger("weeksAhead")).isEqualTo(8);
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

  private static JsonObject validSchedule() {
    return new JsonObject().put("title", "Evening yoga").put("capacity", 12).put("timezone", "Europe/Berlin")
        .put("daysOfWeek", new JsonArray().add("MON")).put("startTime", "18:00").put("durationMinutes", 60)
        .put("validFrom", "2027-01-04");
  }

  private static JsonObject validMember() {
    return new JsonObject().put("email", "new-" + UUID.randomUUID() + "@example.com").put("name", "New Member");
  }

  /** The tables a request may write. */
  private static final List<String> TABLES = List.of("members", "events", "bookings", "outbox", "idempotency_keys",
      "schedules", "cron_jobs", "job_runs");

  /** A fingerprint of every row of those tables: equal fingerprints, same rows with the same values. */
  private long rows() {
    StringBuilder sql = new StringBuilder("SELECT ('x' || substr(md5(concat_ws('|'");
    TABLES.forEach(t -> sql.append(", (SELECT count(*) || ':' || coalesce(string_agg(t::text, ',' ORDER BY t::text), '') FROM ")
        .append(t).append(" t)"));
    return db.count(sql.append(")), 1, 15))::bit(60)::bigint").toString());
  }

  /**
   * Sends the request and asserts a problem+json with the status (and the code, when given), a complete
   * problem body without any Java internals, and no row written anywhere.
   */
  private Api.Res rejects(Api.Call call, int status, String code) {
    long before = rows();
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
    assertThat(rows()).as("rows after " + res).isEqualTo(before);
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
