package bookings;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Bookings operation of openapi.yaml: the success paths, every error code, the outbox rows each change
 * writes, and the counters of the event checked against the rows after each scenario.
 */
class BookingsApiTest extends ApiTestBase {

  // ---------------------------------------------------------------- POST /v1/bookings

  @Test
  void booksConfirmedWhileSeatsLastThenWaitlistsInOrderThenEventFull() {
    String eventId = createEvent(2, 2).getString("id");
    Person m1 = member();
    Person m2 = member();
    Person m3 = member();
    Person m4 = member();
    Person m5 = member();

    Api.Res r1 = book(m1, eventId);
    assertBooking(r1, 201, eventId, m1.id(), "confirmed", null);
    assertThat(r1.header("Location")).isEqualTo("/v1/bookings/" + r1.json().getString("id"));
    assertBooking(book(m2, eventId), 201, eventId, m2.id(), "confirmed", null);

    Api.Res w1 = book(m3, eventId);
    assertBooking(w1, 201, eventId, m3.id(), "waitlisted", 1);
    assertThat(w1.header("Location")).isEqualTo("/v1/bookings/" + w1.json().getString("id"));
    Api.Res w2 = book(m4, eventId);
    assertBooking(w2, 201, eventId, m4.id(), "waitlisted", 2);

    assertProblem(book(m5, eventId), 409, "event_full");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m5.id())).isZero();

    JsonObject event = api.get("/v1/events/" + eventId, m1.token()).json();
    assertThat(event.getInteger("bookedCount")).isEqualTo(2);
    assertThat(event.getInteger("waitlistCount")).isEqualTo(2);
    assertThat(event.getInteger("seatsLeft")).isZero();

    // the stored waitlist position is served back by GET too
    assertThat(api.get("/v1/bookings/" + w2.json().getString("id"), m4.token()).json().getInteger("waitlistPosition"))
        .isEqualTo(2);

    assertOutbox("booking.confirmed", r1.json());
    assertOutbox("booking.waitlisted", w1.json());
    assertOutbox("booking.waitlisted", w2.json());
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", eventId)).isEqualTo(4);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(4);
    assertInvariants(eventId);
  }

  @Test
  void aSecondActiveBookingOfTheSameMemberIsAlreadyBooked() {
    String eventId = createEvent(1, 2).getString("id");
    Person confirmed = member();
    Person waitlisted = member();
    assertBooking(book(confirmed, eventId), 201, eventId, confirmed.id(), "confirmed", null);
    assertBooking(book(waitlisted, eventId), 201, eventId, waitlisted.id(), "waitlisted", 1);

    assertProblem(book(confirmed, eventId), 409, "already_booked");
    assertProblem(book(waitlisted, eventId), 409, "already_booked");
    // staff booking on the member's behalf hits the same rule
    assertProblem(api.post("/v1/bookings", admin.token(),
        new JsonObject().put("eventId", eventId).put("memberId", confirmed.id())), 409, "already_booked");

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", eventId)).isEqualTo(2);
    assertInvariants(eventId);
  }

  @Test
  void aCancelledBookingDoesNotBlockBookingAgain() {
    String eventId = createEvent(3, 0).getString("id");
    Person m = member();
    String first = book(m, eventId).json().getString("id");
    assertThat(api.delete("/v1/bookings/" + first, m.token()).status()).isEqualTo(200);
    Api.Res again = book(m, eventId);
    assertBooking(again, 201, eventId, m.id(), "confirmed", null);
    assertThat(again.json().getString("id")).isNotEqualTo(first);
    assertInvariants(eventId);
  }

  @Test
  void unknownEventIsEventNotFound() {
    Person m = member();
    assertProblem(book(m, UUID.randomUUID().toString()), 404, "event_not_found");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isZero();
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'memberId' = ?", m.id())).isZero();
  }

  @Test
  void cancelledEventIsNotBookable() {
    String eventId = createEvent(5, 5).getString("id");
    Person early = member();
    assertBooking(book(early, eventId), 201, eventId, early.id(), "confirmed", null);
    Api.Res cancelled = api.post("/v1/events/" + eventId + "/cancel", admin.token(), null);
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);

    Person late = member();
    assertProblem(book(late, eventId), 409, "event_not_bookable");
    // the member whose booking the cancellation ended cannot book again either
    assertProblem(book(early, eventId), 409, "event_not_bookable");
    assertProblem(api.post("/v1/bookings", admin.token(),
        new JsonObject().put("eventId", eventId).put("memberId", late.id())), 409, "event_not_bookable");

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status <> 'cancelled'", eventId))
        .isZero();
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", late.id())).isZero();
    assertInvariants(eventId);
  }

  @Test
  void anEventThatHasStartedIsNotBookable() {
    // created in the past through the API
    Instant start = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
    Api.Res past = api.post("/v1/events", admin.token(), new JsonObject().put("title", "Already running")
        .put("startsAt", start.toString()).put("endsAt", start.plus(2, ChronoUnit.HOURS).toString())
        .put("capacity", 5).put("waitlistCapacity", 5));
    String pastId;
    if (past.status() == 201) {
      pastId = past.json().getString("id");
    } else {
      // an API that refuses past events is fine too: move one there in the database
      pastId = createEvent(5, 5).getString("id");
      moveToThePast(pastId);
    }
    Person m = member();
    assertProblem(book(m, pastId), 409, "event_not_bookable");

    // an event that had bookings and then started; full, so "full" must not hide "started"
    String eventId = createEvent(1, 0).getString("id");
    Person seated = member();
    assertBooking(book(seated, eventId), 201, eventId, seated.id(), "confirmed", null);
    moveToThePast(eventId);
    assertProblem(book(m, eventId), 409, "event_not_bookable");

    // one with seats left too
    String open = createEvent(5, 0).getString("id");
    moveToThePast(open);
    assertProblem(book(m, open), 409, "event_not_bookable");

    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isZero();
    assertInvariants(pastId);
    assertInvariants(eventId);
    assertInvariants(open);
  }

  @Test
  void aSuspendedMemberCannotBook() {
    String eventId = createEvent(5, 0).getString("id");
    Person m = member();
    Api.Res suspended = api.patch("/v1/members/" + m.id(), admin.token(), new JsonObject().put("status", "suspended"));
    assertThat(suspended.status()).as(suspended.toString()).isEqualTo(200);
    assertThat(suspended.json().getString("status")).isEqualTo("suspended");

    assertProblem(book(m, eventId), 403, "member_suspended");
    assertProblem(api.post("/v1/bookings", admin.token(),
        new JsonObject().put("eventId", eventId).put("memberId", m.id())), 403, "member_suspended");
    assertProblem(api.post("/v1/bookings", trainer.token(),
        new JsonObject().put("eventId", eventId).put("memberId", m.id())), 403, "member_suspended");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isZero();

    // reactivated, the member books again
    assertThat(api.patch("/v1/members/" + m.id(), admin.token(), new JsonObject().put("status", "active")).status())
        .isEqualTo(200);
    assertBooking(book(m, eventId), 201, eventId, m.id(), "confirmed", null);
    assertInvariants(eventId);
  }

  @Test
  void aMemberBooksOnlyForItself() {
    String eventId = createEvent(5, 0).getString("id");
    Person m = member();
    Person other = member();

    Api.Res forOther = api.post("/v1/bookings", m.token(),
        new JsonObject().put("eventId", eventId).put("memberId", other.id()));
    assertProblem(forOther, 403, "forbidden");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isZero();

    // naming its own id is the same as omitting it
    assertBooking(api.post("/v1/bookings", m.token(), new JsonObject().put("eventId", eventId).put("memberId", m.id())),
        201, eventId, m.id(), "confirmed", null);
    assertInvariants(eventId);
  }

  @Test
  void adminAndTrainerBookForAMember() {
    String eventId = createEvent(1, 1).getString("id");
    Person a = member();
    Person b = member();
    Api.Res byAdmin = api.post("/v1/bookings", admin.token(),
        new JsonObject().put("eventId", eventId).put("memberId", a.id()));
    assertBooking(byAdmin, 201, eventId, a.id(), "confirmed", null);
    Api.Res byTrainer = api.post("/v1/bookings", trainer.token(),
        new JsonObject().put("eventId", eventId).put("memberId", b.id()));
    assertBooking(byTrainer, 201, eventId, b.id(), "waitlisted", 1);

    // the member sees the booking made for it
    assertThat(api.get("/v1/bookings/" + byAdmin.json().getString("id"), a.token()).status()).isEqualTo(200);
    assertOutbox("booking.confirmed", byAdmin.json());
    assertOutbox("booking.waitlisted", byTrainer.json());
    assertInvariants(eventId);
  }

  @Test
  void staffBookingForAnUnknownMemberIsNotFound() {
    String eventId = createEvent(5, 0).getString("id");
    assertProblem(api.post("/v1/bookings", admin.token(),
        new JsonObject().put("eventId", eventId).put("memberId", UUID.randomUUID().toString())), 404, "not_found");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isZero();
    assertInvariants(eventId);
  }

  @Test
  void aBookingBodyWithoutEventIdIsValidationFailed() {
    Person m = member();
    Api.Res res = api.post("/v1/bookings", m.token(), new JsonObject());
    assertProblem(res, 400, "validation_failed");
    Api.Res badId = api.post("/v1/bookings", m.token(), new JsonObject().put("eventId", "not-a-uuid"));
    assertProblem(badId, 400, "validation_failed");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", m.id())).isZero();
  }

  // ---------------------------------------------------------------- GET /v1/bookings/{id}

  @Test
  void getBookingAsOwnerAdminTrainerButNotAnotherMember() {
    String eventId = createEvent(5, 0).getString("id");
    Person owner = member();
    JsonObject booking = book(owner, eventId).json();
    String path = "/v1/bookings/" + booking.getString("id");

    for (String token : List.of(owner.token(), admin.token(), trainer.token())) {
      Api.Res res = api.get(path, token);
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertThat(res.json()).isEqualTo(booking);
    }
    assertProblem(api.get(path, member().token()), 404, "not_found");
    assertProblem(api.get("/v1/bookings/" + UUID.randomUUID(), admin.token()), 404, "not_found");
  }

  // ---------------------------------------------------------------- GET /v1/bookings

  @Test
  void listFiltersByEventMemberAndStatusAndAMemberSeesOnlyItsOwn() {
    String e1 = createEvent(1, 2).getString("id");
    String e2 = createEvent(5, 0).getString("id");
    Person a = member();
    Person b = member();
    String a1 = book(a, e1).json().getString("id"); // confirmed
    String b1 = book(b, e1).json().getString("id"); // waitlisted
    String a2 = book(a, e2).json().getString("id"); // confirmed
    String b2 = book(b, e2).json().getString("id"); // confirmed, then cancelled
    assertThat(api.delete("/v1/bookings/" + b2, b.token()).status()).isEqualTo(200);

    assertThat(ids(api.get("/v1/bookings?eventId=" + e1, admin.token()))).containsExactly(a1, b1);
    assertThat(ids(api.get("/v1/bookings?eventId=" + e2, trainer.token()))).containsExactly(a2, b2);
    assertThat(ids(api.get("/v1/bookings?memberId=" + a.id(), admin.token()))).containsExactly(a1, a2);
    assertThat(ids(api.get("/v1/bookings?eventId=" + e1 + "&status=waitlisted", admin.token()))).containsExactly(b1);
    assertThat(ids(api.get("/v1/bookings?memberId=" + b.id() + "&status=cancelled", admin.token())))
        .containsExactly(b2);
    assertThat(ids(api.get("/v1/bookings?eventId=" + e2 + "&memberId=" + a.id() + "&status=confirmed",
        admin.token()))).containsExactly(a2);
    assertThat(ids(api.get("/v1/bookings?eventId=" + e2 + "&status=attended", admin.token()))).isEmpty();

    // a member sees only its own, whatever it asks for
    assertThat(ids(api.get("/v1/bookings", a.token()))).containsExactly(a1, a2);
    assertThat(ids(api.get("/v1/bookings?eventId=" + e1, b.token()))).containsExactly(b1);
    Api.Res foreign = api.get("/v1/bookings?memberId=" + a.id(), b.token());
    assertThat(foreign.status()).isEqualTo(200);
    assertThat(foreign.items()).isEmpty();
    assertThat(foreign.json().getValue("nextCursor")).isNull();

    // list items are the same representation as GET /v1/bookings/{id}
    JsonObject listed = api.get("/v1/bookings?eventId=" + e1 + "&status=waitlisted", admin.token()).items()
        .getJsonObject(0);
    assertThat(listed).isEqualTo(api.get("/v1/bookings/" + b1, admin.token()).json());
    assertThat(listed.getInteger("waitlistPosition")).isEqualTo(1);

    assertProblem(api.get("/v1/bookings?status=nonsense", admin.token()), 400, "validation_failed");
    assertInvariants(e1);
    assertInvariants(e2);
  }

  @Test
  void listPagesWithCursorAndLimit() {
    String eventId = createEvent(10, 0).getString("id");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      expected.add(book(member(), eventId).json().getString("id"));
    }

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Res page = api.get("/v1/bookings?eventId=" + eventId + "&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor), admin.token());
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      assertThat(page.items().size()).isLessThanOrEqualTo(2);
      seen.addAll(ids(page));
      cursor = page.json().getString("nextCursor");
      pages++;
      if (pages == 1) {
        // a booking made while paging lands after the pages already served, never shifting them
        expected.add(book(member(), eventId).json().getString("id"));
      }
    } while (cursor != null && pages < 10);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(expected);

    // default page and the limit's bounds
    assertThat(api.get("/v1/bookings?eventId=" + eventId, admin.token()).items()).hasSize(6);
    assertProblem(api.get("/v1/bookings?limit=0", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/bookings?limit=101", admin.token()), 400, "validation_failed");
    assertProblem(api.get("/v1/bookings?cursor=not-a-cursor", admin.token()), 400, "validation_failed");
    assertInvariants(eventId);
  }

  // ---------------------------------------------------------------- DELETE /v1/bookings/{id}

  @Test
  void cancellingAConfirmedBookingPromotesTheFirstWaitlisted() {
    String eventId = createEvent(1, 3).getString("id");
    Person seated = member();
    Person first = member();
    Person second = member();
    Person third = member();
    JsonObject seat = book(seated, eventId).json();
    JsonObject w1 = book(first, eventId).json();
    JsonObject w2 = book(second, eventId).json();
    JsonObject w3 = book(third, eventId).json();
    assertThat(w1.getInteger("waitlistPosition")).isEqualTo(1);
    assertThat(w3.getInteger("waitlistPosition")).isEqualTo(3);

    // the waitlisted second member leaves: the third moves up, nobody is promoted
    Api.Res leave = api.delete("/v1/bookings/" + w2.getString("id"), second.token());
    assertThat(leave.status()).as(leave.toString()).isEqualTo(200);
    assertThat(leave.json().getString("status")).isEqualTo("cancelled");
    assertThat(leave.json().getValue("waitlistPosition")).isNull();
    assertThat(api.get("/v1/bookings/" + w3.getString("id"), third.token()).json().getInteger("waitlistPosition"))
        .isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.promoted' AND payload->>'eventId' = ?",
        eventId)).isZero();
    assertInvariants(eventId);

    Api.Res cancelled = api.delete("/v1/bookings/" + seat.getString("id"), seated.token());
    assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
    assertThat(cancelled.json().getString("status")).isEqualTo("cancelled");
    assertThat(cancelled.json().getString("id")).isEqualTo(seat.getString("id"));

    Api.Res promoted = api.get("/v1/bookings/" + w1.getString("id"), first.token());
    assertThat(promoted.json().getString("status")).isEqualTo("confirmed");
    assertThat(promoted.json().getValue("waitlistPosition")).isNull();
    Api.Res stillWaiting = api.get("/v1/bookings/" + w3.getString("id"), third.token());
    assertThat(stillWaiting.json().getString("status")).isEqualTo("waitlisted");
    assertThat(stillWaiting.json().getInteger("waitlistPosition")).isEqualTo(1);

    JsonObject event = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat(event.getInteger("bookedCount")).isEqualTo(1);
    assertThat(event.getInteger("waitlistCount")).isEqualTo(1);
    assertThat(event.getInteger("seatsLeft")).isZero();

    assertOutbox("booking.cancelled", seat);
    assertOutbox("booking.cancelled", w2);
    assertOutbox("booking.promoted", w1);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.promoted' AND payload->>'eventId' = ?",
        eventId)).isEqualTo(1);
    assertInvariants(eventId);

    // the freed waitlist place is bookable again, at the end of the line
    Person fourth = member();
    assertBooking(book(fourth, eventId), 201, eventId, fourth.id(), "waitlisted", 2);
    assertInvariants(eventId);
  }

  @Test
  void cancellingWithoutWaitlistFreesTheSeat() {
    String eventId = createEvent(1, 0).getString("id");
    Person m = member();
    JsonObject b = book(m, eventId).json();
    Api.Res byAdmin = api.delete("/v1/bookings/" + b.getString("id"), admin.token());
    assertThat(byAdmin.status()).as(byAdmin.toString()).isEqualTo(200);
    assertThat(byAdmin.json().getString("status")).isEqualTo("cancelled");
    JsonObject event = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat(event.getInteger("bookedCount")).isZero();
    assertThat(event.getInteger("seatsLeft")).isEqualTo(1);
    assertOutbox("booking.cancelled", b);
    assertInvariants(eventId);
    assertBooking(book(member(), eventId), 201, eventId, null, "confirmed", null);
    assertInvariants(eventId);
  }

  @Test
  void cancellingTwiceIsBookingCancelled() {
    String eventId = createEvent(2, 0).getString("id");
    Person m = member();
    JsonObject b = book(m, eventId).json();
    assertThat(api.delete("/v1/bookings/" + b.getString("id"), m.token()).status()).isEqualTo(200);
    assertProblem(api.delete("/v1/bookings/" + b.getString("id"), m.token()), 409, "booking_cancelled");
    assertProblem(api.delete("/v1/bookings/" + b.getString("id"), admin.token()), 409, "booking_cancelled");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.cancelled' AND payload->>'bookingId' = ?",
        b.getString("id"))).isEqualTo(1);
    assertInvariants(eventId);
  }

  @Test
  void cancellingAnAttendedBookingIsBookingAttended() {
    String eventId = createEvent(2, 0).getString("id");
    Person m = member();
    JsonObject b = book(m, eventId).json();
    assertThat(checkIn(b.getString("id"), admin.token()).status()).isEqualTo(200);
    assertProblem(api.delete("/v1/bookings/" + b.getString("id"), m.token()), 409, "booking_attended");
    assertProblem(api.delete("/v1/bookings/" + b.getString("id"), admin.token()), 409, "booking_attended");
    assertThat(api.get("/v1/bookings/" + b.getString("id"), m.token()).json().getString("status"))
        .isEqualTo("attended");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.cancelled' AND payload->>'bookingId' = ?",
        b.getString("id"))).isZero();
    assertInvariants(eventId);
  }

  @Test
  void anotherMemberCannotCancelAndATrainerIsForbidden() {
    String eventId = createEvent(2, 0).getString("id");
    Person m = member();
    JsonObject b = book(m, eventId).json();
    String path = "/v1/bookings/" + b.getString("id");
    assertProblem(api.delete(path, member().token()), 404, "not_found");
    assertProblem(api.delete(path, trainer.token()), 403, "forbidden");
    assertProblem(api.delete("/v1/bookings/" + UUID.randomUUID(), admin.token()), 404, "not_found");
    assertThat(api.get(path, m.token()).json().getString("status")).isEqualTo("confirmed");
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.cancelled' AND payload->>'bookingId' = ?",
        b.getString("id"))).isZero();
    assertInvariants(eventId);
  }

  // ---------------------------------------------------------------- POST /v1/bookings/{id}/check-in

  @Test
  void checkInByAdminOrTheEventsTrainer() {
    String eventId = createEvent(new JsonObject().put("capacity", 3).put("waitlistCapacity", 2)
        .put("trainerId", trainer.id())).getString("id");
    Person a = member();
    Person b = member();
    JsonObject ba = book(a, eventId).json();
    JsonObject bb = book(b, eventId).json();

    Api.Res byTrainer = checkIn(ba.getString("id"), trainer.token());
    assertThat(byTrainer.status()).as(byTrainer.toString()).isEqualTo(200);
    assertThat(byTrainer.json().getString("status")).isEqualTo("attended");
    assertThat(byTrainer.json().getString("memberId")).isEqualTo(a.id());

    Api.Res byAdmin = checkIn(bb.getString("id"), admin.token());
    assertThat(byAdmin.status()).as(byAdmin.toString()).isEqualTo(200);
    assertThat(byAdmin.json().getString("status")).isEqualTo("attended");

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'attended'", eventId))
        .isEqualTo(2);
    // attended bookings still hold their seats
    JsonObject event = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat(event.getInteger("bookedCount")).isEqualTo(2);
    assertThat(event.getInteger("seatsLeft")).isEqualTo(1);
    // checking in twice: it is no longer confirmed
    assertProblem(checkIn(ba.getString("id"), admin.token()), 409, "booking_not_confirmed");
    assertInvariants(eventId);
  }

  @Test
  void checkInOfAWaitlistedOrCancelledBookingIsNotConfirmed() {
    String eventId = createEvent(1, 1).getString("id");
    Person seated = member();
    Person waiting = member();
    JsonObject seat = book(seated, eventId).json();
    JsonObject wait = book(waiting, eventId).json();
    assertThat(wait.getString("status")).isEqualTo("waitlisted");

    assertProblem(checkIn(wait.getString("id"), admin.token()), 409, "booking_not_confirmed");

    Person other = member();
    String otherEvent = createEvent(2, 0).getString("id");
    JsonObject cancelled = book(other, otherEvent).json();
    assertThat(api.delete("/v1/bookings/" + cancelled.getString("id"), other.token()).status()).isEqualTo(200);
    assertProblem(checkIn(cancelled.getString("id"), admin.token()), 409, "booking_not_confirmed");

    assertThat(api.get("/v1/bookings/" + wait.getString("id"), admin.token()).json().getString("status"))
        .isEqualTo("waitlisted");
    assertThat(api.get("/v1/bookings/" + cancelled.getString("id"), admin.token()).json().getString("status"))
        .isEqualTo("cancelled");
    assertThat(api.get("/v1/bookings/" + seat.getString("id"), admin.token()).json().getString("status"))
        .isEqualTo("confirmed");
    assertInvariants(eventId);
    assertInvariants(otherEvent);
  }

  @Test
  void checkInByATrainerNotOfTheEventOrAMemberIsForbidden() {
    String eventId = createEvent(new JsonObject().put("capacity", 3).put("trainerId", trainer.id())).getString("id");
    Person otherTrainer = createPerson(admin.token(), "trainer");
    Person m = member();
    JsonObject b = book(m, eventId).json();

    assertProblem(checkIn(b.getString("id"), otherTrainer.token()), 403, "forbidden");
    assertProblem(checkIn(b.getString("id"), m.token()), 403, "forbidden");
    // an event with no trainer: only admins check in
    String untrained = createEvent(3, 0).getString("id");
    JsonObject u = book(m, untrained).json();
    assertProblem(checkIn(u.getString("id"), trainer.token()), 403, "forbidden");

    assertThat(api.get("/v1/bookings/" + b.getString("id"), m.token()).json().getString("status"))
        .isEqualTo("confirmed");
    assertThat(api.get("/v1/bookings/" + u.getString("id"), m.token()).json().getString("status"))
        .isEqualTo("confirmed");
    assertProblem(checkIn(UUID.randomUUID().toString(), admin.token()), 404, "not_found");
    assertInvariants(eventId);
    assertInvariants(untrained);
  }

  // ---------------------------------------------------------------- helpers

  private Api.Res checkIn(String bookingId, String token) {
    return api.call("POST", "/v1/bookings/" + bookingId + "/check-in").token(token).send();
  }

  private void moveToThePast(String eventId) {
    db.update("UPDATE events SET starts_at = now() - interval '1 hour', ends_at = now() + interval '1 hour' "
        + "WHERE id = ?::uuid", eventId);
  }

  private static List<String> ids(Api.Res page) {
    assertThat(page.status()).as(page.toString()).isEqualTo(200);
    JsonArray items = page.items();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      ids.add(items.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  private static void assertBooking(Api.Res res, int status, String eventId, String memberId, String bookingStatus,
                                    Integer position) {
    assertThat(res.status()).as(res.toString()).isEqualTo(status);
    assertThat(res.contentType()).startsWith("application/json");
    JsonObject b = res.json();
    assertThat(b.getString("id")).isNotBlank();
    UUID.fromString(b.getString("id"));
    assertThat(b.getString("eventId")).isEqualTo(eventId);
    if (memberId != null) {
      assertThat(b.getString("memberId")).isEqualTo(memberId);
    }
    assertThat(b.getString("status")).isEqualTo(bookingStatus);
    assertThat(b.getInteger("waitlistPosition")).as(res.toString()).isEqualTo(position);
    assertThat(b.getString("createdAt")).endsWith("Z");
    assertThat(b.getString("updatedAt")).endsWith("Z");
  }

  /** Exactly one outbox row of this kind names the booking, its event and its member. */
  private void assertOutbox(String kind, JsonObject booking) {
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = ? AND payload->>'bookingId' = ? "
            + "AND payload->>'eventId' = ? AND payload->>'memberId' = ?", kind, booking.getString("id"),
        booking.getString("eventId"), booking.getString("memberId")))
        .as("outbox rows %s for booking %s", kind, booking.getString("id"))
        .isEqualTo(1);
  }

  /** The event's counters equal its rows, within its capacities; at most one active booking per member. */
  private void assertInvariants(String eventId) {
    long booked = db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId);
    long waitlisted = db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", eventId);
    long capacity = db.count("SELECT capacity FROM events WHERE id = ?::uuid", eventId);
    long waitlistCapacity = db.count("SELECT waitlist_capacity FROM events WHERE id = ?::uuid", eventId);
    assertThat(booked).as("booked_count of %s", eventId).isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status IN ('confirmed', 'attended')",
            eventId));
    assertThat(waitlisted).as("waitlist_count of %s", eventId).isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId));
    assertThat(booked).isLessThanOrEqualTo(capacity);
    assertThat(waitlisted).isLessThanOrEqualTo(waitlistCapacity);
    assertThat(db.count("SELECT count(*) FROM (SELECT member_id FROM bookings WHERE event_id = ?::uuid "
        + "AND status <> 'cancelled' GROUP BY member_id HAVING count(*) > 1) d", eventId)).isZero();
    JsonObject event = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat(event.getLong("bookedCount").longValue()).isEqualTo(booked);
    assertThat(event.getLong("waitlistCount").longValue()).isEqualTo(waitlisted);
    Set<Long> positions = new HashSet<>();
    JsonArray items = api.get("/v1/bookings?eventId=" + eventId + "&status=waitlisted&limit=100", admin.token())
        .items();
    for (int i = 0; i < items.size(); i++) {
      positions.add(items.getJsonObject(i).getLong("waitlistPosition"));
    }
    assertThat(positions).hasSize(items.size());
    for (long p = 1; p <= items.size(); p++) {
      assertThat(positions).contains(p);
    }
  }
}
