package schedules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The weekly schedules of openapi.yaml: create, list, get and delete, with every error and role check. */
class SchedulesApiTest extends ApiTestBase {

  private static final List<String> FIELDS = List.of("id", "title", "trainerId", "location", "capacity",
      "waitlistCapacity", "timezone", "daysOfWeek", "startTime", "durationMinutes", "validFrom", "validUntil",
      "createdAt", "updatedAt");

  private static JsonObject body(String title) {
    return new JsonObject().put("title", title).put("capacity", 10).put("timezone", "Europe/Berlin")
        .put("daysOfWeek", new JsonArray().add("MON").add("WED")).put("startTime", "18:00").put("durationMinutes", 60)
        .put("validFrom", "2027-01-04");
  }

  private JsonObject create(JsonObject body) {
    Api.Res res = api.post("/v1/schedules", admin.token(), body);
    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    return res.json();
  }

  // ----- create ---------------------------------------------------------------------------------

  @Test
  void createReturns201WithLocationAndEveryField() {
    String title = "Evening yoga " + UUID.randomUUID();
    JsonObject body = new JsonObject().put("title", title).put("trainerId", trainer.id()).put("location", "Studio 2")
        .put("capacity", 12).put("waitlistCapacity", 5).put("timezone", "Europe/Berlin")
        .put("daysOfWeek", new JsonArray().add("WED").add("MON")).put("startTime", "18:00").put("durationMinutes", 75)
        .put("validFrom", "2027-01-04").put("validUntil", "2027-12-31");
    Instant before = Instant.now();

    Api.Res res = api.post("/v1/schedules", admin.token(), body);

    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    assertThat(res.contentType()).startsWith("application/json");
    JsonObject s = res.json();
    assertShape(s);
    assertThat(s.getString("title")).isEqualTo(title);
    assertThat(s.getString("trainerId")).isEqualTo(trainer.id());
    assertThat(s.getString("location")).isEqualTo("Studio 2");
    assertThat(s.getInteger("capacity")).isEqualTo(12);
    assertThat(s.getInteger("waitlistCapacity")).isEqualTo(5);
    assertThat(s.getString("timezone")).isEqualTo("Europe/Berlin");
    // returned in week order
    assertThat(s.getJsonArray("daysOfWeek")).isEqualTo(new JsonArray().add("MON").add("WED"));
    assertThat(s.getString("startTime")).isEqualTo("18:00");
    assertThat(s.getInteger("durationMinutes")).isEqualTo(75);
    assertThat(s.getString("validFrom")).isEqualTo("2027-01-04");
    assertThat(s.getString("validUntil")).isEqualTo("2027-12-31");
    assertThat(Instant.parse(s.getString("createdAt")))
        .isBetween(before.minus(Duration.ofMinutes(2)), Instant.now().plus(Duration.ofMinutes(2)));
    assertThat(s.getString("createdAt")).endsWith("Z");
    assertThat(s.getString("updatedAt")).isEqualTo(s.getString("createdAt"));
    assertThat(res.header("Location")).isNotNull().endsWith("/v1/schedules/" + s.getString("id"));

    assertThat(db.count("SELECT count(*) FROM schedules WHERE id = ?::uuid AND title = ? AND trainer_id = ?::uuid "
            + "AND capacity = 12 AND waitlist_capacity = 5 AND timezone = 'Europe/Berlin' "
            + "AND days_of_week = '{MON,WED}' AND start_time = '18:00' AND duration_minutes = 75 "
            + "AND valid_from = '2027-01-04' AND valid_until = '2027-12-31' AND deleted_at IS NULL",
        s.getString("id"), title, trainer.id())).isEqualTo(1);

    String location = res.header("Location");
    Api.Res fetched = api.get(location.substring(location.indexOf("/v1/")), admin.token());
    assertThat(fetched.status()).as(fetched.toString()).isEqualTo(200);
    assertThat(fetched.json()).isEqualTo(s);
  }

  @Test
  void createAppliesDefaults() {
    JsonObject s = create(body("Bare " + UUID.randomUUID()).put("daysOfWeek", new JsonArray().add("SUN").add("FRI")
        .add("TUE")).put("startTime", "06:05").put("timezone", "UTC"));
    assertShape(s);
    assertThat(s.getValue("trainerId")).isNull();
    assertThat(s.getValue("location")).isNull();
    assertThat(s.getInteger("waitlistCapacity")).isZero();
    assertThat(s.getValue("validUntil")).isNull();
    assertThat(s.getString("timezone")).isEqualTo("UTC");
    assertThat(s.getJsonArray("daysOfWeek")).isEqualTo(new JsonArray().add("TUE").add("FRI").add("SUN"));
    assertThat(s.getString("startTime")).isEqualTo("06:05");

    // nulls are accepted for the nullable fields
    JsonObject nulls = create(body("Nulls " + UUID.randomUUID()).putNull("trainerId").putNull("location")
        .putNull("validUntil"));
    assertThat(nulls.getValue("trainerId")).isNull();
    assertThat(nulls.getValue("location")).isNull();
    assertThat(nulls.getValue("validUntil")).isNull();
  }

  @Test
  void unknownTimezoneIs400UnknownTimezone() {
    String title = "tz-" + UUID.randomUUID();
    for (String tz : List.of("Mars/Olympus", "Europe/Berlinn", "not a zone", "   ")) {
      Api.Res res = api.post("/v1/schedules", admin.token(), body(title).put("timezone", tz));
      assertProblem(res, 400, "unknown_timezone");
      assertThat(res.json().getString("detail")).contains("'" + tz + "'");
      JsonArray errors = res.json().getJsonArray("errors");
      assertThat(errors).as(res.toString()).hasSize(1);
      assertThat(errors.getJsonObject(0).getString("field")).isEqualTo("timezone");
      assertThat(errors.getJsonObject(0).getString("message")).isNotBlank();
    }
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isZero();

    // a real zone other than Europe/Berlin works
    assertThat(create(body(title).put("timezone", "America/New_York")).getString("timezone"))
        .isEqualTo("America/New_York");
  }

  @Test
  void validUntilBeforeValidFromIs400() {
    String title = "dates-" + UUID.randomUUID();
    Api.Res res = api.post("/v1/schedules", admin.token(), body(title).put("validFrom", "2027-05-10")
        .put("validUntil", "2027-05-09"));
    assertProblem(res, 400, "validation_failed");
    assertThat(errorFields(res)).containsExactly("validUntil");
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isZero();

    // a single day is fine
    JsonObject oneDay = create(body(title).put("validFrom", "2027-05-10").put("validUntil", "2027-05-10"));
    assertThat(oneDay.getString("validUntil")).isEqualTo("2027-05-10");
  }

  @Test
  void bodyIsValidatedAgainstTheContract() {
    String title = "invalid-" + UUID.randomUUID();
    List<Object[]> cases = List.of(
        new Object[] {body(title).put("daysOfWeek", new JsonArray().add("MONDAY")), "daysOfWeek"},
        new Object[] {body(title).put("daysOfWeek", new JsonArray()), "daysOfWeek"},
        new Object[] {body(title).put("daysOfWeek", new JsonArray().add("MON").add("MON")), "daysOfWeek"},
        new Object[] {body(title).put("startTime", "24:00"), "startTime"},
        new Object[] {body(title).put("startTime", "18:00:00"), "startTime"},
        new Object[] {body(title).put("startTime", "6pm"), "startTime"},
        new Object[] {body(title).put("durationMinutes", 0), "durationMinutes"},
        new Object[] {body(title).put("durationMinutes", 1441), "durationMinutes"},
        new Object[] {body(title).put("capacity", 0), "capacity"},
        new Object[] {body(title).put("capacity", 100001), "capacity"},
        new Object[] {body(title).put("waitlistCapacity", -1), "waitlistCapacity"},
        new Object[] {body(title).put("validFrom", "2027-13-01"), "validFrom"},
        new Object[] {body(title).put("validFrom", "tomorrow"), "validFrom"},
        new Object[] {body(title).put("validUntil", "2027-02-30"), "validUntil"},
        new Object[] {body(title).put("trainerId", "not-a-uuid"), "trainerId"},
        new Object[] {body(title).put("timezone", ""), "timezone"},
        new Object[] {body(title).put("title", ""), "title"},
        new Object[] {body(title).put("colour", "red"), "colour"});
    for (Object[] c : cases) {
      Api.Res res = api.post("/v1/schedules", admin.token(), c[0]);
      assertProblem(res, 400, "validation_failed");
      assertThat(errorFields(res)).as(c[0] + " → " + res).contains((String) c[1]);
    }
    for (String required : List.of("title", "capacity", "timezone", "daysOfWeek", "startTime", "durationMinutes",
        "validFrom")) {
      JsonObject b = body(title);
      b.remove(required);
      Api.Res res = api.post("/v1/schedules", admin.token(), b);
      assertProblem(res, 400, "validation_failed");
      assertThat(errorFields(res)).as(required + " → " + res).contains(required);
    }
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isZero();
  }

  @Test
  void trainerIdOfNoMemberIs400() {
    String title = "ghost-" + UUID.randomUUID();
    Api.Res res = api.post("/v1/schedules", admin.token(), body(title).put("trainerId", UUID.randomUUID().toString()));
    assertProblem(res, 400, "validation_failed");
    assertThat(errorFields(res)).containsExactly("trainerId");
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isZero();
  }

  @Test
  void createIsIdempotentWithAKey() {
    String title = "idem-" + UUID.randomUUID();
    String key = "schedule-" + UUID.randomUUID();
    Api.Res first = api.call("POST", "/v1/schedules").token(admin.token()).header("Idempotency-Key", key)
        .json(body(title)).send();
    Api.Res again = api.call("POST", "/v1/schedules").token(admin.token()).header("Idempotency-Key", key)
        .json(body(title)).send();
    assertThat(first.status()).as(first.toString()).isEqualTo(201);
    assertThat(again.status()).as(again.toString()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(again.header("Location")).isEqualTo(first.header("Location"));
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isEqualTo(1);

    Api.Res other = api.call("POST", "/v1/schedules").token(admin.token()).header("Idempotency-Key", key)
        .json(body(title).put("capacity", 11)).send();
    assertProblem(other, 422, "idempotency_key_reused");
  }

  // ----- get ------------------------------------------------------------------------------------

  @Test
  void getUnknownIs404AndBadIdIs400() {
    assertProblem(api.get("/v1/schedules/" + UUID.randomUUID(), admin.token()), 404, "not_found");
    Api.Res bad = api.get("/v1/schedules/not-a-uuid", admin.token());
    assertProblem(bad, 400, "validation_failed");
    assertThat(errorFields(bad)).contains("id");
  }

  // ----- list -----------------------------------------------------------------------------------

  @Test
  void listPagesInCreationOrderUntilNextCursorIsNull() {
    String tag = "page-" + UUID.randomUUID();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      expected.add(create(body(tag + "-" + i)).getString("id"));
    }

    for (int limit : new int[] {2, 3}) {
      List<String> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        Api.Res res = api.get("/v1/schedules?limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor),
            admin.token());
        assertThat(res.status()).as(res.toString()).isEqualTo(200);
        assertThat(res.json().fieldNames()).containsExactlyInAnyOrder("items", "nextCursor");
        assertThat(res.items().size()).isLessThanOrEqualTo(limit);
        for (Object o : res.items()) {
          JsonObject s = (JsonObject) o;
          assertShape(s);
          if (s.getString("title").startsWith(tag)) {
            seen.add(s.getString("id"));
          }
        }
        cursor = res.json().getString("nextCursor");
        assertThat(++pages).isLessThan(200);
      } while (cursor != null);
      assertThat(seen).as("limit " + limit).containsExactlyElementsOf(expected);
    }

    Api.Res defaults = api.get("/v1/schedules", admin.token());
    assertThat(defaults.status()).as(defaults.toString()).isEqualTo(200);
    assertThat(defaults.items().size()).isBetween(5, 20);

    assertProblem(api.get("/v1/schedules?limit=0", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/schedules?limit=101", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/schedules?cursor=garbage", admin.token()), 400, "validation_failed");
  }

  // ----- delete ---------------------------------------------------------------------------------

  @Test
  void deleteIsSoftAndTheScheduleIs404Afterwards() {
    JsonObject s = create(body("doomed-" + UUID.randomUUID()));
    String id = s.getString("id");
    String path = "/v1/schedules/" + id;
    // an event it generated earlier
    db.update("INSERT INTO events (title, starts_at, ends_at, capacity, schedule_id) "
        + "VALUES ('generated', '2027-01-04T17:00:00Z', '2027-01-04T18:00:00Z', 10, ?::uuid)", id);

    Api.Res res = api.delete(path, admin.token());

    assertThat(res.status()).as(res.toString()).isEqualTo(204);
    assertThat(res.raw().body()).isEmpty();
    assertProblem(api.get(path, admin.token()), 404, "not_found");
    assertProblem(api.delete(path, admin.token()), 404, "not_found");
    assertThat(listAllIds()).doesNotContain(id);
    // soft: the row stays with deleted_at set, and so do its events
    assertThat(db.count("SELECT count(*) FROM schedules WHERE id = ?::uuid AND deleted_at IS NOT NULL "
        + "AND updated_at >= created_at", id)).isEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM events WHERE schedule_id = ?::uuid AND status = 'scheduled'", id))
        .isEqualTo(1);

    assertProblem(api.delete("/v1/schedules/" + UUID.randomUUID(), admin.token()), 404, "not_found");
  }

  // ----- roles ----------------------------------------------------------------------------------

  @Test
  void onlyAdminsUseSchedules() {
    JsonObject s = create(body("admin-only-" + UUID.randomUUID()));
    String path = "/v1/schedules/" + s.getString("id");
    String title = "forbidden-" + UUID.randomUUID();
    for (String token : List.of(trainer.token(), member().token())) {
      assertProblem(api.post("/v1/schedules", token, body(title)), 403, "forbidden");
      assertProblem(api.get("/v1/schedules", token), 403, "forbidden");
      assertProblem(api.get(path, token), 403, "forbidden");
      assertProblem(api.get("/v1/schedules/" + UUID.randomUUID(), token), 403, "forbidden");
      assertProblem(api.delete(path, token), 403, "forbidden");
    }
    assertThat(db.count("SELECT count(*) FROM schedules WHERE title = ?", title)).isZero();
    assertThat(db.count("SELECT count(*) FROM schedules WHERE id = ?::uuid AND deleted_at IS NULL", s.getString("id")))
        .isEqualTo(1);

    assertProblem(api.post("/v1/schedules", null, body(title)), 401, "unauthenticated");
    assertProblem(api.get("/v1/schedules", null), 401, "unauthenticated");
    assertProblem(api.get(path, null), 401, "unauthenticated");
    assertProblem(api.delete(path, null), 401, "unauthenticated");
    assertThat(api.get(path, admin.token()).json()).isEqualTo(s);
  }

  @Test
  void createNeedsJson() {
    Api.Res res = api.call("POST", "/v1/schedules").token(admin.token()).raw("text/plain", body("x").encode()).send();
    assertProblem(res, 415, "unsupported_media_type");
  }

  // ----- helpers --------------------------------------------------------------------------------

  private List<String> listAllIds() {
    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      Api.Res res = api.get("/v1/schedules?limit=100" + (cursor == null ? "" : "&cursor=" + cursor), admin.token());
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      res.items().forEach(o -> ids.add(((JsonObject) o).getString("id")));
      cursor = res.json().getString("nextCursor");
    } while (cursor != null);
    return ids;
  }

  private static void assertShape(JsonObject s) {
    assertThat(s.fieldNames()).containsExactlyInAnyOrderElementsOf(FIELDS);
    assertThat(s.getString("id")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    assertThat(s.getString("startTime")).matches("\\d{2}:\\d{2}");
    assertThat(s.getString("validFrom")).matches("\\d{4}-\\d{2}-\\d{2}");
  }
}
