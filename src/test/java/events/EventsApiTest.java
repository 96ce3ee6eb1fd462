package events;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Events operations of openapi.yaml: create, list, get, update, cancel and roster, with every error code. */
class EventsApiTest extends ApiTestBase {

  private static final List<String> EVENT_FIELDS = List.of("id", "title", "description", "startsAt", "endsAt",
      "capacity", "waitlistCapacity", "bookedCount", "waitlistCount", "seatsLeft", "trainerId", "location", "status",
      "createdAt", "updatedAt");
  private static final Pattern UTC = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final DateTimeFormatter WITH_OFFSET = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
  private static final ZoneOffset PLUS_ONE = ZoneOffset.ofHours(1);

  /** Midnight UTC of a day far enough ahead that no other test's events (which start tomorrow) fall in it. */
  private static Instant day(int daysAhead) {
    return Instant.now().truncatedTo(ChronoUnit.DAYS).plus(daysAhead, ChronoUnit.DAYS);
  }

  private static String utc(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }

  private static String plusOne(Instant t) {
    return WITH_OFFSET.format(t.atOffset(PLUS_ONE));
  }

  /** A query value with its '+' sent as %2B, as a partner must send it. */
  private static String q(String value) {
    return value.replace("+", "%2B");
  }

  // ----- create ---------------------------------------------------------------------------------

  @Test
  void createReturns201WithLocationAndEveryFieldInUtc() {
    Instant start = day(300).plus(18, ChronoUnit.HOURS);
    JsonObject body = new JsonObject().put("title", "Evening yoga").put("description", "Vinyasa flow, all levels.")
        .put("startsAt", plusOne(start)).put("endsAt", plusOne(start.plus(1, ChronoUnit.HOURS)))
        .put("capacity", 12).put("waitlistCapacity", 5).put("trainerId", trainer.id()).put("location", "Studio 2");
    assertThat(body.getString("startsAt")).endsWith("+01:00");
    Instant before = Instant.now();

    Api.Res res = api.post("/v1/events", admin.token(), body);

    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    assertThat(res.contentType()).startsWith("application/json");
    JsonObject e = res.json();
    assertEventShape(e);
    assertThat(e.getString("title")).isEqualTo("Evening yoga");
    assertThat(e.getString("description")).isEqualTo("Vinyasa flow, all levels.");
    assertThat(e.getString("startsAt")).isEqualTo(utc(start)).endsWith(":00:00Z");
    assertThat(e.getString("endsAt")).isEqualTo(utc(start.plus(1, ChronoUnit.HOURS)));
    assertThat(e.getInteger("capacity")).isEqualTo(12);
    assertThat(e.getInteger("waitlistCapacity")).isEqualTo(5);
    assertThat(e.getInteger("bookedCount")).isZero();
    assertThat(e.getInteger("waitlistCount")).isZero();
    assertThat(e.getInteger("seatsLeft")).isEqualTo(12);
    assertThat(e.getString("trainerId")).isEqualTo(trainer.id());
    assertThat(e.getString("location")).isEqualTo("Studio 2");
    assertThat(e.getString("status")).isEqualTo("scheduled");
    assertThat(Instant.parse(e.getString("createdAt")))
        .isBetween(before.minus(Duration.ofMinutes(2)), Instant.now().plus(Duration.ofMinutes(2)));
    assertThat(res.header("Location")).isNotNull().endsWith("/v1/events/" + e.getString("id"));

    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND starts_at = ?::timestamptz "
        + "AND capacity = 12 AND waitlist_capacity = 5 AND trainer_id = ?::uuid AND status = 'scheduled'",
        e.getString("id"), utc(start), trainer.id())).isEqualTo(1);

    String location = res.header("Location");
    Api.Res fetched = api.get(location.substring(location.indexOf("/v1/")), member().token());
    assertThat(fetched.status()).as(fetched.toString()).isEqualTo(200);
    assertThat(fetched.json()).isEqualTo(e);
  }

  @Test
  void createAppliesDefaults() {
    Instant start = day(301).plus(9, ChronoUnit.HOURS);
    Api.Res res = api.post("/v1/events", admin.token(), new JsonObject().put("title", "Bare")
        .put("startsAt", utc(start)).put("endsAt", utc(start.plus(45, ChronoUnit.MINUTES))).put("capacity", 3));

    assertThat(res.status()).as(res.toString()).isEqualTo(201);
    JsonObject e = res.json();
    assertEventShape(e);
    assertThat(e.getInteger("waitlistCapacity")).isZero();
    assertThat(e.getInteger("seatsLeft")).isEqualTo(3);
    assertThat(e.getValue("description")).isNull();
    assertThat(e.getValue("location")).isNull();
    assertThat(e.getValue("trainerId")).isNull();
    assertThat(e.getString("status")).isEqualTo("scheduled");
    assertThat(e.getString("endsAt")).isEqualTo(utc(start.plus(45, ChronoUnit.MINUTES)));
  }

  @Test
  void createRejectsEndsAtNotAfterStartsAt() {
    Instant start = day(302).plus(10, ChronoUnit.HOURS);
    String title = "bad-times-" + UUID.randomUUID();

    // equal
    assertEndsAtProblem(api.post("/v1/events", admin.token(), eventBody(title, utc(start), utc(start), 5)));
    // before
    assertEndsAtProblem(api.post("/v1/events", admin.token(),
        eventBody(title, utc(start), utc(start.minus(1, ChronoUnit.MINUTES)), 5)));
    // the same instant written with different offsets
    assertEndsAtProblem(api.post("/v1/events", admin.token(), eventBody(title, plusOne(start), utc(start), 5)));

    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isZero();
  }

  @Test
  void createRejectsCapacityOutsideOneTo100000() {
    Instant start = day(303).plus(10, ChronoUnit.HOURS);
    String title = "capacity-" + UUID.randomUUID();
    String startsAt = utc(start);
    String endsAt = utc(start.plus(1, ChronoUnit.HOURS));

    for (int capacity : new int[] {0, 100001, -1}) {
      Api.Res res = api.post("/v1/events", admin.token(), eventBody(title, startsAt, endsAt, capacity));
      assertProblem(res, 400, "validation_failed");
      assertThat(errorFields(res)).as(res.toString()).contains("capacity");
    }
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isZero();

    for (int capacity : new int[] {1, 100000}) {
      Api.Res res = api.post("/v1/events", admin.token(), eventBody(title, startsAt, endsAt, capacity));
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      assertThat(res.json().getInteger("capacity")).isEqualTo(capacity);
      assertThat(res.json().getInteger("seatsLeft")).isEqualTo(capacity);
    }
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isEqualTo(2);
  }

  @Test
  void onlyAdminsCreateEvents() {
    Instant start = day(304).plus(10, ChronoUnit.HOURS);
    String title = "forbidden-" + UUID.randomUUID();
    for (String token : List.of(trainer.token(), member().token())) {
      assertProblem(api.post("/v1/events", token, eventBody(title, utc(start), utc(start.plus(1, ChronoUnit.HOURS)), 5)),
          403, "forbidden");
    }
    assertThat(db.count("SELECT count(*) FROM events WHERE title = ?", title)).isZero();
  }

  // ----- get ------------------------------------------------------------------------------------

  @Test
  void anyCallerGetsAnEventAndUnknownIs404() {
    JsonObject event = createEvent(4, 1);
    for (String token : List.of(admin.token(), trainer.token(), member().token())) {
      Api.Res res = api.get("/v1/events/" + event.getString("id"), token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertEventShape(res.json());
      assertThat(res.json()).isEqualTo(event);
    }
    assertProblem(api.get("/v1/events/" + UUID.randomUUID(), admin.token()), 404, "not_found");
    assertProblem(api.get("/v1/events/" + UUID.randomUUID(), member().token()), 404, "not_found");
  }

  @Test
  void bookingsShowInCountsAndSeatsLeft() {
    JsonObject event = createEvent(2, 2);
    String id = event.getString("id");
    for (int i = 0; i < 3; i++) {
      assertThat(book(member(), id).status()).isEqualTo(201);
    }
    JsonObject e = api.get("/v1/events/" + id, admin.token()).json();
    assertThat(e.getInteger("bookedCount")).isEqualTo(2);
    assertThat(e.getInteger("waitlistCount")).isEqualTo(1);
    assertThat(e.getInteger("seatsLeft")).isZero();
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", id))
        .isEqualTo(2);
  }

  // ----- update ---------------------------------------------------------------------------------

  @Test
  void adminUpdatesFieldsAndNullClears() {
    Instant start = day(305).plus(17, ChronoUnit.HOURS);
    JsonObject event = createEvent(new JsonObject().put("startsAt", utc(start))
        .put("endsAt", utc(start.plus(1, ChronoUnit.HOURS))).put("description", "Old").put("location", "Studio 1")
        .put("trainerId", trainer.id()).put("capacity", 10).put("waitlistCapacity", 2));
    String path = "/v1/events/" + event.getString("id");
    Instant newStart = start.plus(30, ChronoUnit.MINUTES);

    Api.Res res = api.patch(path, admin.token(), new JsonObject().put("title", "Evening yoga (advanced)")
        .putNull("description").put("location", "Studio 3").put("startsAt", plusOne(newStart))
        .put("endsAt", plusOne(newStart.plus(90, ChronoUnit.MINUTES))).put("capacity", 15).put("waitlistCapacity", 4));

    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    JsonObject e = res.json();
    assertEventShape(e);
    assertThat(e.getString("title")).isEqualTo("Evening yoga (advanced)");
    assertThat(e.getValue("description")).isNull();
    assertThat(e.getString("location")).isEqualTo("Studio 3");
    assertThat(e.getString("startsAt")).isEqualTo(utc(newStart));
    assertThat(e.getString("endsAt")).isEqualTo(utc(newStart.plus(90, ChronoUnit.MINUTES)));
    assertThat(e.getInteger("capacity")).isEqualTo(15);
    assertThat(e.getInteger("waitlistCapacity")).isEqualTo(4);
    assertThat(e.getInteger("seatsLeft")).isEqualTo(15);
    assertThat(e.getString("trainerId")).isEqualTo(trainer.id());
    assertThat(e.getString("id")).isEqualTo(event.getString("id"));
    assertThat(e.getString("createdAt")).isEqualTo(event.getString("createdAt"));
    assertThat(Instant.parse(e.getString("updatedAt"))).isAfterOrEqualTo(Instant.parse(event.getString("updatedAt")));
    assertThat(api.get(path, member().token()).json()).isEqualTo(e);

    Api.Res cleared = api.patch(path, admin.token(), new JsonObject().putNull("location"));
    assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
    assertThat(cleared.json().getValue("location")).isNull();
    assertThat(cleared.json().getString("title")).isEqualTo("Evening yoga (advanced)");
    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND location IS NULL AND description IS NULL "
        + "AND capacity = 15", event.getString("id"))).isEqualTo(1);
  }

  @Test
  void updateRejectsEndsAtNotAfterStartsAt() {
    Instant start = day(306).plus(10, ChronoUnit.HOURS);
    JsonObject event = createEvent(new JsonObject().put("startsAt", utc(start))
        .put("endsAt", utc(start.plus(1, ChronoUnit.HOURS))));
    String path = "/v1/events/" + event.getString("id");

    assertEndsAtProblem(api.patch(path, admin.token(), new JsonObject().put("endsAt", utc(start))));
    assertEndsAtProblem(api.patch(path, admin.token(), new JsonObject().put("startsAt", utc(start.plus(2, ChronoUnit.HOURS)))));
    assertEndsAtProblem(api.patch(path, admin.token(), new JsonObject().put("startsAt", plusOne(start.plus(3, ChronoUnit.HOURS)))
        .put("endsAt", utc(start.plus(3, ChronoUnit.HOURS)))));

    assertThat(api.get(path, admin.token()).json()).isEqualTo(event);
  }

  @Test
  void onlyAdminsUpdateAndUnknownIs404() {
    JsonObject event = createEvent(5, 0);
    String path = "/v1/events/" + event.getString("id");
    assertProblem(api.patch(path, trainer.token(), new JsonObject().put("title", "Hijacked")), 403, "forbidden");
    assertProblem(api.patch(path, member().token(), new JsonObject().put("title", "Hijacked")), 403, "forbidden");
    assertThat(db.count("SELECT count(*) FROM events WHERE title = 'Hijacked'")).isZero();

    assertProblem(api.patch("/v1/events/" + UUID.randomUUID(), admin.token(), new JsonObject().put("title", "X")),
        404, "not_found");
  }

  @Test
  void lowerCapacityBelowBookedIs409() {
    JsonObject event = createEvent(3, 0);
    String id = event.getString("id");
    for (int i = 0; i < 3; i++) {
      assertThat(book(member(), id).status()).isEqualTo(201);
    }
    String path = "/v1/events/" + id;

    assertProblem(api.patch(path, admin.token(), new JsonObject().put("capacity", 2)), 409, "capacity_below_booked");
    assertProblem(api.patch(path, admin.token(), new JsonObject().put("capacity", 1).put("title", "Smaller")),
        409, "capacity_below_booked");
    JsonObject unchanged = api.get(path, admin.token()).json();
    assertThat(unchanged.getInteger("capacity")).isEqualTo(3);
    assertThat(unchanged.getInteger("bookedCount")).isEqualTo(3);
    assertThat(unchanged.getString("title")).isEqualTo(event.getString("title"));
    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND capacity = 3", id)).isEqualTo(1);

    // down to exactly the booked seats is fine
    Api.Res exact = api.patch(path, admin.token(), new JsonObject().put("capacity", 3).put("waitlistCapacity", 1));
    assertThat(exact.status()).as(exact.toString()).isEqualTo(200);
    assertThat(exact.json().getInteger("seatsLeft")).isZero();
  }

  @Test
  void lowerWaitlistCapacityBelowWaitlistedIs409() {
    JsonObject event = createEvent(1, 3);
    String id = event.getString("id");
    for (int i = 0; i < 3; i++) {
      assertThat(book(member(), id).status()).isEqualTo(201);
    }
    String path = "/v1/events/" + id;
    assertThat(api.get(path, admin.token()).json().getInteger("waitlistCount")).isEqualTo(2);

    assertProblem(api.patch(path, admin.token(), new JsonObject().put("waitlistCapacity", 1)), 409,
        "capacity_below_booked");
    assertProblem(api.patch(path, admin.token(), new JsonObject().put("waitlistCapacity", 0)), 409,
        "capacity_below_booked");
    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND waitlist_capacity = 3", id)).isEqualTo(1);

    Api.Res exact = api.patch(path, admin.token(), new JsonObject().put("waitlistCapacity", 2));
    assertThat(exact.status()).as(exact.toString()).isEqualTo(200);
    assertThat(exact.json().getInteger("waitlistCapacity")).isEqualTo(2);
    assertThat(exact.json().getInteger("waitlistCount")).isEqualTo(2);
  }

  @Test
  void raisingCapacityPromotesTheWaitlistFirstComeFirstServed() {
    JsonObject event = createEvent(1, 3);
    String id = event.getString("id");
    List<String> bookings = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Api.Res res = book(member(), id);
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      bookings.add(res.json().getString("id"));
    }
    assertThat(booking(bookings.get(0)).getString("status")).isEqualTo("confirmed");
    assertThat(booking(bookings.get(3)).getInteger("waitlistPosition")).isEqualTo(3);
    String path = "/v1/events/" + id;

    Api.Res one = api.patch(path, admin.token(), new JsonObject().put("capacity", 2));
    assertThat(one.status()).as(one.toString()).isEqualTo(200);
    assertThat(one.json().getInteger("capacity")).isEqualTo(2);
    assertThat(one.json().getInteger("bookedCount")).isEqualTo(2);
    assertThat(one.json().getInteger("waitlistCount")).isEqualTo(2);
    assertThat(one.json().getInteger("seatsLeft")).isZero();
    assertThat(booking(bookings.get(1)).getString("status")).isEqualTo("confirmed");
    assertThat(booking(bookings.get(1)).getValue("waitlistPosition")).isNull();
    assertThat(booking(bookings.get(2)).getString("status")).isEqualTo("waitlisted");
    assertThat(booking(bookings.get(2)).getInteger("waitlistPosition")).isEqualTo(1);
    assertThat(booking(bookings.get(3)).getInteger("waitlistPosition")).isEqualTo(2);
    assertCountsMatchRows(id);

    Api.Res all = api.patch(path, admin.token(), new JsonObject().put("capacity", 10));
    assertThat(all.status()).as(all.toString()).isEqualTo(200);
    assertThat(all.json().getInteger("bookedCount")).isEqualTo(4);
    assertThat(all.json().getInteger("waitlistCount")).isZero();
    assertThat(all.json().getInteger("seatsLeft")).isEqualTo(6);
    for (String b : bookings) {
      assertThat(booking(b).getString("status")).isEqualTo("confirmed");
    }
    assertThat(api.get(path, admin.token()).json()).isEqualTo(all.json());
    assertCountsMatchRows(id);
  }

  // ----- cancel ---------------------------------------------------------------------------------

  @Test
  void cancelCancelsEveryActiveBookingAndNotifiesEachMember() {
    JsonObject event = createEvent(2, 2);
    String id = event.getString("id");
    Person m1 = member();
    Person m2 = member();
    Person m3 = member();
    Person m4 = member();
    String b1 = book(m1, id).json().getString("id");
    String b2 = book(m2, id).json().getString("id");
    String b3 = book(m3, id).json().getString("id");
    String b4 = book(m4, id).json().getString("id");
    // m2 cancels before the event is cancelled: m3 moves up, m4 stays waitlisted
    Api.Res own = api.delete("/v1/bookings/" + b2, m2.token());
    assertThat(own.status()).as(own.toString()).isEqualTo(200);
    assertThat(booking(b3).getString("status")).isEqualTo("confirmed");
    assertThat(booking(b4).getString("status")).isEqualTo("waitlisted");

    Api.Res res = api.post("/v1/events/" + id + "/cancel", admin.token(), null);

    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    JsonObject e = res.json();
    assertEventShape(e);
    assertThat(e.getString("id")).isEqualTo(id);
    assertThat(e.getString("status")).isEqualTo("cancelled");
    assertThat(e.getInteger("bookedCount")).isZero();
    assertThat(e.getInteger("waitlistCount")).isZero();
    assertThat(e.getString("title")).isEqualTo(event.getString("title"));
    assertThat(e.getString("startsAt")).isEqualTo(event.getString("startsAt"));
    assertThat(api.get("/v1/events/" + id, member().token()).json().getString("status")).isEqualTo("cancelled");

    for (String b : List.of(b1, b2, b3, b4)) {
      JsonObject booking = booking(b);
      assertThat(booking.getString("status")).as(b).isEqualTo("cancelled");
      assertThat(booking.getValue("waitlistPosition")).isNull();
    }
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status <> 'cancelled'", id))
        .isZero();
    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND status = 'cancelled' "
        + "AND booked_count = 0 AND waitlist_count = 0", id)).isEqualTo(1);

    // one notification per booking that was active, for its member; none for the one cancelled before
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'eventId' = ?", id))
        .isEqualTo(3);
    for (var pair : List.of(List.of(b1, m1.id()), List.of(b3, m3.id()), List.of(b4, m4.id()))) {
      assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'bookingId' = ? "
          + "AND payload->>'memberId' = ?", pair.get(0), pair.get(1))).as(pair.toString()).isEqualTo(1);
    }
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'bookingId' = ?", b2))
        .isZero();

    // a cancelled event cannot be booked, nor cancelled again
    assertProblem(book(member(), id), 409, "event_not_bookable");
    assertProblem(api.post("/v1/events/" + id + "/cancel", admin.token(), null), 409, "event_cancelled");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'eventId' = ?", id))
        .isEqualTo(3);
  }

  @Test
  void cancelWithoutBookingsAndItsErrors() {
    JsonObject event = createEvent(5, 0);
    String id = event.getString("id");

    assertProblem(api.post("/v1/events/" + id + "/cancel", trainer.token(), null), 403, "forbidden");
    assertProblem(api.post("/v1/events/" + id + "/cancel", member().token(), null), 403, "forbidden");
    assertThat(db.count("SELECT count(*) FROM events WHERE id = ?::uuid AND status = 'scheduled'", id)).isEqualTo(1);

    Api.Res res = api.post("/v1/events/" + id + "/cancel", admin.token(), null);
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getString("status")).isEqualTo("cancelled");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'event.cancelled' AND payload->>'eventId' = ?", id))
        .isZero();

    assertProblem(api.post("/v1/events/" + id + "/cancel", admin.token(), null), 409, "event_cancelled");
    assertProblem(api.post("/v1/events/" + UUID.randomUUID() + "/cancel", admin.token(), null), 404, "not_found");
  }

  // ----- roster ---------------------------------------------------------------------------------

  @Test
  void rosterForAdminAndTheEventsTrainer() {
    JsonObject event = createEvent(new JsonObject().put("capacity", 2).put("waitlistCapacity", 3)
        .put("trainerId", trainer.id()));
    String id = event.getString("id");
    List<Person> people = new ArrayList<>();
    List<String> bookingIds = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Person p = member();
      people.add(p);
      Api.Res res = book(p, id);
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      bookingIds.add(res.json().getString("id"));
    }
    // an attended booking still holds its seat; a cancelled waitlisted one leaves the roster
    Api.Res checkIn = api.post("/v1/bookings/" + bookingIds.get(0) + "/check-in", admin.token(), null);
    assertThat(checkIn.status()).as(checkIn.toString()).isEqualTo(200);
    Api.Res gone = api.delete("/v1/bookings/" + bookingIds.get(3), people.get(3).token());
    assertThat(gone.status()).as(gone.toString()).isEqualTo(200);

    for (String token : List.of(admin.token(), trainer.token())) {
      Api.Res res = api.get("/v1/events/" + id + "/roster", token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      JsonObject roster = res.json();
      assertThat(roster.getJsonObject("event")).isEqualTo(api.get("/v1/events/" + id, admin.token()).json());
      assertEventShape(roster.getJsonObject("event"));

      JsonArray confirmed = roster.getJsonArray("confirmed");
      JsonArray waitlisted = roster.getJsonArray("waitlisted");
      assertThat(ids(confirmed)).containsExactlyInAnyOrder(bookingIds.get(0), bookingIds.get(1));
      assertThat(ids(waitlisted)).as("waitlist order").containsExactly(bookingIds.get(2), bookingIds.get(4));
      assertThat(waitlisted.getJsonObject(0).getInteger("waitlistPosition")).isEqualTo(1);
      assertThat(waitlisted.getJsonObject(1).getInteger("waitlistPosition")).isEqualTo(2);

      for (int i : new int[] {0, 1, 2, 4}) {
        JsonObject entry = find(i < 2 ? confirmed : waitlisted, bookingIds.get(i));
        JsonObject member = entry.getJsonObject("member");
        assertThat(member).as("member embedded").isNotNull();
        JsonObject whole = api.get("/v1/members/" + people.get(i).id(), admin.token()).json();
        assertThat(member).as("the member's summary").isEqualTo(new JsonObject().put("id", whole.getString("id"))
            .put("name", whole.getString("name")).put("status", whole.getString("status")));
        assertThat(entry.getString("memberId")).isEqualTo(people.get(i).id());
        JsonObject bookingOnly = entry.copy();
        bookingOnly.remove("member");
        assertThat(bookingOnly).isEqualTo(booking(bookingIds.get(i)));
      }
      assertThat(find(confirmed, bookingIds.get(0)).getString("status")).isEqualTo("attended");
      assertThat(find(confirmed, bookingIds.get(1)).getString("status")).isEqualTo("confirmed");
    }
  }

  @Test
  void rosterIsPagedInRosterOrderWithTheEventOnEveryPage() {
    String id = createEvent(3, 3).getString("id");
    List<String> bookingIds = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Api.Res res = book(member(), id);
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      bookingIds.add(res.json().getString("id"));
    }
    Api.Res whole = api.get("/v1/events/" + id + "/roster", admin.token());
    assertThat(whole.json().getString("nextCursor")).as("six bookings fit the default page of 20").isNull();

    List<String> confirmed = new ArrayList<>();
    List<String> waitlisted = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      Api.Res page = api.get("/v1/events/" + id + "/roster?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          admin.token());
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      assertThat(page.json().getJsonObject("event").getString("id")).isEqualTo(id);
      confirmed.addAll(ids(page.json().getJsonArray("confirmed")));
      waitlisted.addAll(ids(page.json().getJsonArray("waitlisted")));
      pageSizes.add(page.json().getJsonArray("confirmed").size() + page.json().getJsonArray("waitlisted").size());
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    assertThat(pageSizes).as("bookings per page").containsExactly(2, 2, 2);
    assertThat(confirmed).as("seat holders in arrival order").containsExactlyElementsOf(bookingIds.subList(0, 3));
    assertThat(waitlisted).as("then the waitlist in its order").containsExactlyElementsOf(bookingIds.subList(3, 6));

    assertThat(errorFields(api.get("/v1/events/" + id + "/roster?cursor=bm9wZQ", admin.token())))
        .containsExactly("cursor");
    assertProblem(api.get("/v1/events/" + id + "/roster?limit=101", admin.token()), 400, "validation_failed");
  }

  @Test
  void rosterIsForbiddenToOtherTrainersAndMembers() {
    JsonObject event = createEvent(new JsonObject().put("capacity", 2).put("trainerId", trainer.id()));
    String id = event.getString("id");
    Person member = member();
    assertThat(book(member, id).status()).isEqualTo(201);
    Person otherTrainer = createPerson(admin.token(), "trainer");

    assertProblem(api.get("/v1/events/" + id + "/roster", otherTrainer.token()), 403, "forbidden");
    assertProblem(api.get("/v1/events/" + id + "/roster", member.token()), 403, "forbidden");

    // an event with no trainer: only admins
    JsonObject untrained = createEvent(2, 0);
    assertProblem(api.get("/v1/events/" + untrained.getString("id") + "/roster", trainer.token()), 403, "forbidden");
    Api.Res empty = api.get("/v1/events/" + untrained.getString("id") + "/roster", admin.token());
    assertThat(empty.status()).as(empty.toString()).isEqualTo(200);
    assertThat(empty.json().getJsonArray("confirmed")).isEmpty();
    assertThat(empty.json().getJsonArray("waitlisted")).isEmpty();

    assertProblem(api.get("/v1/events/" + UUID.randomUUID() + "/roster", admin.token()), 404, "not_found");
  }

  // ----- list -----------------------------------------------------------------------------------

  @Test
  void listOrdersByStartsAtThenIdAndFilters() {
    Instant d = day(320);
    Person otherTrainer = createPerson(admin.token(), "trainer");
    JsonObject e1 = at(d.plus(10, ChronoUnit.HOURS), null);
    JsonObject e2 = at(d.plus(12, ChronoUnit.HOURS), null);
    JsonObject e3 = at(d.plus(12, ChronoUnit.HOURS), null);
    JsonObject e4 = at(d.plus(14, ChronoUnit.HOURS), otherTrainer.id());
    JsonObject e5 = at(d.plus(16, ChronoUnit.HOURS), null);
    assertThat(api.post("/v1/events/" + e5.getString("id") + "/cancel", admin.token(), null).status()).isEqualTo(200);
    // just outside the window on both sides
    at(d.minus(1, ChronoUnit.SECONDS), null);
    at(d.plus(1, ChronoUnit.DAYS), null);
    List<String> tie = sortedIds(e2, e3);
    String window = "from=" + utc(d) + "&to=" + utc(d.plus(1, ChronoUnit.DAYS));

    assertThat(listIds("/v1/events?" + window, member().token()))
        .containsExactly(e1.getString("id"), tie.get(0), tie.get(1), e4.getString("id"), e5.getString("id"));
    assertThat(listIds("/v1/events?" + window + "&status=scheduled", admin.token()))
        .containsExactly(e1.getString("id"), tie.get(0), tie.get(1), e4.getString("id"));
    assertThat(listIds("/v1/events?" + window + "&status=cancelled", admin.token()))
        .containsExactly(e5.getString("id"));
    assertThat(listIds("/v1/events?trainerId=" + otherTrainer.id(), admin.token())).containsExactly(e4.getString("id"));
    assertThat(listIds("/v1/events?" + window + "&trainerId=" + otherTrainer.id() + "&status=cancelled", admin.token()))
        .isEmpty();

    // items are the events as GET returns them
    Api.Res page = api.get("/v1/events?" + window + "&limit=1", admin.token());
    assertThat(page.items().getJsonObject(0)).isEqualTo(api.get("/v1/events/" + e1.getString("id"), admin.token()).json());
  }

  @Test
  void fromAndToAcceptAPositiveOffset() {
    Instant d = day(330);
    JsonObject e1 = at(d.plus(17, ChronoUnit.HOURS), null);
    JsonObject e2 = at(d.plus(18, ChronoUnit.HOURS), null);
    JsonObject e3 = at(d.plus(19, ChronoUnit.HOURS), null);
    String dayEnd = "&to=" + q(plusOne(d.plus(1, ChronoUnit.DAYS)));
    String dayStart = "from=" + q(plusOne(d));
    Instant six = d.plus(18, ChronoUnit.HOURS);
    assertThat(plusOne(six)).endsWith("T19:00:00+01:00");

    // from is inclusive: 19:00+01:00 is 18:00Z
    assertThat(listIds("/v1/events?from=" + q(plusOne(six)) + dayEnd, admin.token()))
        .containsExactly(e2.getString("id"), e3.getString("id"));
    assertThat(listIds("/v1/events?from=" + q(plusOne(six.plusSeconds(1))) + dayEnd, admin.token()))
        .containsExactly(e3.getString("id"));
    // to is exclusive
    assertThat(listIds("/v1/events?" + dayStart + "&to=" + q(plusOne(six)), admin.token()))
        .containsExactly(e1.getString("id"));
    assertThat(listIds("/v1/events?" + dayStart + "&to=" + q(plusOne(six.plusSeconds(1))), admin.token()))
        .containsExactly(e1.getString("id"), e2.getString("id"));
    // both bounds with offsets, fully percent-encoded
    String from = java.net.URLEncoder.encode(plusOne(six), java.nio.charset.StandardCharsets.UTF_8);
    String to = java.net.URLEncoder.encode(plusOne(six.plus(1, ChronoUnit.HOURS)), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(listIds("/v1/events?from=" + from + "&to=" + to, admin.token())).containsExactly(e2.getString("id"));

    assertProblem(api.get("/v1/events?from=yesterday", admin.token()), 400, "validation_failed");
  }

  @Test
  void listPagesWithLimitTwoUntilNextCursorIsNull() {
    Instant d = day(340);
    List<JsonObject> created = new ArrayList<>();
    // 08:00, 09:00 twice, 10:00 three times: the startsAt ties straddle page boundaries, so the id decides
    for (int hour : new int[] {10, 9, 8, 10, 9, 10}) {
      created.add(at(d.plus(hour, ChronoUnit.HOURS), null));
    }
    List<String> expected = sortedIds(created.toArray(JsonObject[]::new));
    String window = "from=" + utc(d) + "&to=" + utc(d.plus(1, ChronoUnit.DAYS));

    for (int limit : new int[] {2, 4}) {
      List<String> seen = new ArrayList<>();
      List<Integer> sizes = new ArrayList<>();
      String cursor = null;
      do {
        Api.Res res = api.get("/v1/events?" + window + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor),
            member().token());
        assertThat(res.status()).as(res.toString()).isEqualTo(200);
        assertThat(res.json().containsKey("nextCursor")).isTrue();
        List<String> page = ids(res.items());
        sizes.add(page.size());
        seen.addAll(page);
        cursor = res.json().getString("nextCursor");
        assertThat(sizes.size()).as("paging terminates").isLessThan(20);
      } while (cursor != null);

      assertThat(seen).as("limit " + limit).doesNotHaveDuplicates().containsExactlyElementsOf(expected);
      assertThat(sizes).as("page sizes, limit " + limit)
          .containsExactlyElementsOf(limit == 2 ? List.of(2, 2, 2) : List.of(4, 2));
    }

    assertProblem(api.get("/v1/events?limit=0", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/events?limit=101", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/events?cursor=garbage", admin.token()), 400, "validation_failed");
  }

  @Test
  void listIsStableUnderInserts() {
    Instant d = day(350);
    List<JsonObject> created = new ArrayList<>();
    for (int h = 10; h < 16; h++) {
      created.add(at(d.plus(h, ChronoUnit.HOURS), null));
    }
    List<String> original = sortedIds(created.toArray(JsonObject[]::new));
    String base = "/v1/events?from=" + utc(d) + "&to=" + utc(d.plus(1, ChronoUnit.DAYS)) + "&limit=2";

    Api.Res p1 = api.get(base, admin.token());
    assertThat(ids(p1.items())).containsExactly(original.get(0), original.get(1));
    // new events that sort before the cursor position (11:00)
    at(d.plus(9, ChronoUnit.HOURS), null);
    at(d.plus(10, ChronoUnit.HOURS).plus(30, ChronoUnit.MINUTES), null);

    Api.Res p2 = api.get(base + "&cursor=" + p1.json().getString("nextCursor"), admin.token());
    assertThat(p2.status()).as(p2.toString()).isEqualTo(200);
    assertThat(ids(p2.items())).containsExactly(original.get(2), original.get(3));
    // and before the new position (13:00)
    at(d.plus(8, ChronoUnit.HOURS), null);
    at(d.plus(12, ChronoUnit.HOURS).plus(59, ChronoUnit.MINUTES), null);

    Api.Res p3 = api.get(base + "&cursor=" + p2.json().getString("nextCursor"), admin.token());
    assertThat(p3.status()).as(p3.toString()).isEqualTo(200);
    assertThat(ids(p3.items())).containsExactly(original.get(4), original.get(5));
    assertThat(p3.json().getValue("nextCursor")).isNull();

    // a fresh listing sees all ten in order
    List<String> all = listIds("/v1/events?from=" + utc(d) + "&to=" + utc(d.plus(1, ChronoUnit.DAYS)), admin.token());
    assertThat(all).hasSize(10).doesNotHaveDuplicates().containsAll(original);
  }

  // ----- helpers --------------------------------------------------------------------------------

  private static JsonObject eventBody(String title, String startsAt, String endsAt, int capacity) {
    return new JsonObject().put("title", title).put("startsAt", startsAt).put("endsAt", endsAt).put("capacity", capacity);
  }

  private JsonObject at(Instant start, String trainerId) {
    JsonObject body = new JsonObject().put("title", "At " + start).put("startsAt", utc(start))
        .put("endsAt", utc(start.plus(1, ChronoUnit.HOURS))).put("capacity", 5);
    if (trainerId != null) {
      body.put("trainerId", trainerId);
    }
    return createEvent(body);
  }

  /** Ids in the contract's order: startsAt, then id (uuid order = lowercase hex text order). */
  private static List<String> sortedIds(JsonObject... events) {
    List<JsonObject> list = new ArrayList<>(List.of(events));
    list.sort(Comparator.<JsonObject, Instant>comparing(e -> Instant.parse(e.getString("startsAt")))
        .thenComparing(e -> e.getString("id")));
    return list.stream().map(e -> e.getString("id")).toList();
  }

  private List<String> listIds(String path, String token) {
    List<String> out = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Res res = api.get(path + (cursor == null ? "" : "&cursor=" + cursor), token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      res.items().forEach(o -> assertEventShape((JsonObject) o));
      out.addAll(ids(res.items()));
      cursor = res.json().getString("nextCursor");
      assertThat(++pages).isLessThan(100);
    } while (cursor != null);
    return out;
  }

  private JsonObject booking(String id) {
    Api.Res res = api.get("/v1/bookings/" + id, admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.json();
  }

  private void assertCountsMatchRows(String eventId) {
    JsonObject e = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat((long) e.getInteger("bookedCount")).isEqualTo(db.count(
        "SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status IN ('confirmed', 'attended')", eventId));
    assertThat((long) e.getInteger("waitlistCount")).isEqualTo(db.count(
        "SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId));
  }

  private static void assertEndsAtProblem(Api.Res res) {
    assertProblem(res, 400, "validation_failed");
    assertThat(errorFields(res)).as(res.toString()).contains("endsAt");
  }

  private static JsonObject find(JsonArray items, String id) {
    for (Object o : items) {
      if (id.equals(((JsonObject) o).getString("id"))) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError(id + " not in " + items.encode());
  }

  private static List<String> ids(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }

  private static void assertEventShape(JsonObject e) {
    assertThat(e.fieldNames()).as("Event fields of openapi.yaml").containsAll(EVENT_FIELDS);
    assertThat(e.getString("id")).matches(UUID_TEXT);
    assertThat(e.getString("startsAt")).matches(UTC);
    assertThat(e.getString("endsAt")).matches(UTC);
    assertThat(e.getString("createdAt")).matches(UTC);
    assertThat(e.getString("updatedAt")).matches(UTC);
    assertThat(e.getString("status")).isIn("scheduled", "cancelled");
    assertThat(Instant.parse(e.getString("endsAt"))).isAfter(Instant.parse(e.getString("startsAt")));
    assertThat(e.getInteger("bookedCount")).isBetween(0, e.getInteger("capacity"));
    assertThat(e.getInteger("waitlistCount")).isBetween(0, e.getInteger("waitlistCapacity"));
    if ("scheduled".equals(e.getString("status"))) {
      assertThat(e.getInteger("seatsLeft")).isEqualTo(e.getInteger("capacity") - e.getInteger("bookedCount"));
    }
  }
}
