package bookings;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;
import support.Crowd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bursts of truly overlapping requests (all sent with sendAsync before any answer is awaited): the
 * database must hand out exactly the seats and waitlist places there are, and the counters must equal
 * the rows afterwards.
 */
class BookingBurstTest extends ApiTestBase {

  /** A member inserted straight into the database, with a token for its subject. */

  @Test
  void twoThousandMembersRaceForFiftySeatsAndTwentyWaitlistPlaces() throws Exception {
    List<Crowd> members = Crowd.insert(db, issuer, "burst-a", 2000);
    String eventId = createEvent(50, 20).getString("id");

    long started = System.nanoTime();
    List<CompletableFuture<Api.Res>> calls = new ArrayList<>(members.size());
    for (Crowd m : members) {
      calls.add(api.call("POST", "/v1/bookings").token(m.token()).json(new JsonObject().put("eventId", eventId))
          .sendAsync());
    }
    List<Api.Res> results = awaitAll(calls, 80);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.println("BookingBurstTest: 2000 concurrent booking requests (capacity 50, waitlist 20) took "
        + millis + " ms wall time");

    Map<String, Integer> outcomes = outcomes(results);
    assertThat(outcomes).as("outcomes of the burst").containsOnlyKeys("201 confirmed", "201 waitlisted",
        "409 event_full");
    assertThat(outcomes.get("201 confirmed")).isEqualTo(50);
    assertThat(outcomes.get("201 waitlisted")).isEqualTo(20);
    assertThat(outcomes.get("409 event_full")).isEqualTo(1930);

    // the answers match the rows, member by member
    for (int i = 0; i < members.size(); i++) {
      Api.Res res = results.get(i);
      if (res.status() == 201) {
        assertThat(res.json().getString("memberId")).isEqualTo(members.get(i).id());
        assertThat(res.json().getString("eventId")).isEqualTo(eventId);
      }
    }
    List<Integer> positions = new ArrayList<>();
    results.stream().filter(r -> r.status() == 201 && "waitlisted".equals(r.json().getString("status")))
        .forEach(r -> positions.add(r.json().getInteger("waitlistPosition")));
    assertThat(positions).as("waitlist positions answered").containsExactlyInAnyOrderElementsOf(range(1, 20));

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", eventId))
        .isEqualTo(50);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId))
        .isEqualTo(20);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid", eventId)).isEqualTo(70);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(50);
    assertThat(db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(20);
    assertInvariants(eventId);

    // the positions GET serves are 1..20, distinct, in arrival order
    List<Integer> served = new ArrayList<>();
    String cursor = null;
    do {
      Api.Res page = api.get("/v1/bookings?eventId=" + eventId + "&status=waitlisted&limit=100"
          + (cursor == null ? "" : "&cursor=" + cursor), admin.token());
      assertThat(page.status()).isEqualTo(200);
      page.items().forEach(o -> served.add(((JsonObject) o).getInteger("waitlistPosition")));
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);
    assertThat(served).containsExactlyInAnyOrderElementsOf(range(1, 20));

    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.confirmed' AND payload->>'eventId' = ?",
        eventId)).isEqualTo(50);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.waitlisted' AND payload->>'eventId' = ?",
        eventId)).isEqualTo(20);
  }

  @Test
  void fiftyDuplicateRequestsOfOneMemberMakeOneBooking() throws Exception {
    Crowd m = Crowd.insert(db, issuer, "burst-dup", 1).get(0);
    String eventId = createEvent(10, 10).getString("id");
    String body = new JsonObject().put("eventId", eventId).encode();

    List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(api.call("POST", "/v1/bookings").token(m.token()).json(body).sendAsync());
    }
    Map<String, Integer> outcomes = outcomes(awaitAll(calls, 60));
    assertThat(outcomes).containsOnlyKeys("201 confirmed", "409 already_booked");
    assertThat(outcomes.get("201 confirmed")).isEqualTo(1);
    assertThat(outcomes.get("409 already_booked")).isEqualTo(49);

    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND member_id = ?::uuid",
        eventId, m.id())).isEqualTo(1);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(1);
    assertThat(db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", eventId)).isZero();
    assertThat(db.count("SELECT count(*) FROM outbox WHERE payload->>'eventId' = ?", eventId)).isEqualTo(1);
    assertInvariants(eventId);
  }

  @Test
  void cancellationsRacingNewBookingsPromoteInWaitlistOrder() throws Exception {
    List<Crowd> fill = Crowd.insert(db, issuer, "burst-fill", 200);
    List<Crowd> newcomers = Crowd.insert(db, issuer, "burst-new", 100);
    String eventId = createEvent(100, 100).getString("id");

    // fill: 100 confirmed, then 100 waitlisted (sent in two waves so the waitlist is the second hundred)
    Map<String, String> bookingOf = new HashMap<>();
    for (List<Crowd> wave : List.of(fill.subList(0, 100), fill.subList(100, 200))) {
      List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
      for (Crowd m : wave) {
        calls.add(api.call("POST", "/v1/bookings").token(m.token()).json(new JsonObject().put("eventId", eventId))
            .sendAsync());
      }
      for (Api.Res res : awaitAll(calls, 60)) {
        assertThat(res.status()).as(res.toString()).isEqualTo(201);
        bookingOf.put(res.json().getString("memberId"), res.json().getString("id"));
      }
    }
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", eventId))
        .isEqualTo(100);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId))
        .isEqualTo(100);
    assertInvariants(eventId);

    List<Crowd> seated = fill.subList(0, 100);
    List<CompletableFuture<Api.Res>> cancels = new ArrayList<>();
    List<CompletableFuture<Api.Res>> bookings = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Crowd s = seated.get(i);
      cancels.add(api.call("DELETE", "/v1/bookings/" + bookingOf.get(s.id())).token(s.token()).sendAsync());
      Crowd n = newcomers.get(i);
      bookings.add(api.call("POST", "/v1/bookings").token(n.token()).json(new JsonObject().put("eventId", eventId))
          .sendAsync());
    }
    List<Api.Res> cancelled = awaitAll(cancels, 60);
    List<Api.Res> booked = awaitAll(bookings, 60);

    for (Api.Res res : cancelled) {
      assertThat(res.status()).as(res.toString()).isEqualTo(200);
      assertThat(res.json().getString("status")).isEqualTo("cancelled");
    }
    Map<String, Integer> newcomerOutcomes = outcomes(booked);
    // every freed seat goes to the waitlist in the same transaction, so a newcomer never gets a seat
    assertThat(newcomerOutcomes.keySet()).as("newcomers' outcomes").isSubsetOf("201 waitlisted", "409 event_full");
    int newlyWaitlisted = newcomerOutcomes.getOrDefault("201 waitlisted", 0);

    // invariants: counters equal rows, within capacity, one active booking per member
    assertInvariants(eventId);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", eventId))
        .as("the waitlist was never empty, so every cancelled seat was refilled").isEqualTo(100);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId))
        .isEqualTo(newlyWaitlisted);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'cancelled'", eventId))
        .isEqualTo(100);

    // exactly one promotion per cancellation, each with its outbox row
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.cancelled' AND payload->>'eventId' = ?",
        eventId)).isEqualTo(100);
    assertThat(db.count("SELECT count(*) FROM outbox WHERE kind = 'booking.promoted' AND payload->>'eventId' = ?",
        eventId)).isEqualTo(100);
    assertThat(db.count("SELECT count(DISTINCT payload->>'bookingId') FROM outbox WHERE kind = 'booking.promoted' "
        + "AND payload->>'eventId' = ?", eventId)).isEqualTo(100);
    // each promoted row names a booking that is confirmed now
    assertThat(db.count("SELECT count(*) FROM outbox o JOIN bookings b ON b.id = (o.payload->>'bookingId')::uuid "
        + "WHERE o.kind = 'booking.promoted' AND o.payload->>'eventId' = ? AND b.status = 'confirmed' "
        + "AND b.member_id = (o.payload->>'memberId')::uuid", eventId)).isEqualTo(100);

    // waitlist order: every promoted booking arrived before every booking still waiting
    assertThat(db.count("SELECT count(*) FROM bookings p, bookings w WHERE p.event_id = ?::uuid "
        + "AND w.event_id = p.event_id AND w.status = 'waitlisted' AND p.id IN (SELECT (payload->>'bookingId')::uuid "
        + "FROM outbox WHERE kind = 'booking.promoted' AND payload->>'eventId' = ?) AND (p.seq > w.seq "
        + "OR p.created_at > w.created_at)", eventId, eventId))
        .as("promoted bookings created after a still-waitlisted one").isZero();

    // the newcomers' answers match the rows
    for (int i = 0; i < 100; i++) {
      Api.Res res = booked.get(i);
      long rows = db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND member_id = ?::uuid "
          + "AND status = 'waitlisted'", eventId, newcomers.get(i).id());
      assertThat(rows).as(res.toString()).isEqualTo(res.status() == 201 ? 1 : 0);
    }
  }

  // ---------------------------------------------------------------- helpers



  private static List<Api.Res> awaitAll(List<CompletableFuture<Api.Res>> calls, int seconds) throws Exception {
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(seconds, TimeUnit.SECONDS);
    List<Api.Res> results = new ArrayList<>(calls.size());
    for (CompletableFuture<Api.Res> call : calls) {
      results.add(call.get());
    }
    return results;
  }

  /** "201 confirmed", "409 event_full", ... → how many; no 5xx may appear. */
  private static Map<String, Integer> outcomes(List<Api.Res> results) {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (Api.Res res : results) {
      assertThat(res.status()).as("no server error: %s", res).isLessThan(500);
      String what = res.status() + " " + (res.status() < 300 ? res.json().getString("status") : res.code());
      outcomes.merge(what, 1, Integer::sum);
    }
    return outcomes;
  }

  private static List<Integer> range(int from, int to) {
    List<Integer> list = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      list.add(i);
    }
    return list;
  }

  private void assertInvariants(String eventId) {
    long booked = db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId);
    long waitlisted = db.count("SELECT waitlist_count FROM events WHERE id = ?::uuid", eventId);
    assertThat(booked).as("booked_count = confirmed + attended rows").isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status IN ('confirmed', 'attended')",
            eventId));
    assertThat(waitlisted).as("waitlist_count = waitlisted rows").isEqualTo(
        db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'waitlisted'", eventId));
    assertThat(booked).isLessThanOrEqualTo(db.count("SELECT capacity FROM events WHERE id = ?::uuid", eventId));
    assertThat(waitlisted).isLessThanOrEqualTo(
        db.count("SELECT waitlist_capacity FROM events WHERE id = ?::uuid", eventId));
    assertThat(db.count("SELECT count(*) FROM (SELECT member_id FROM bookings WHERE event_id = ?::uuid "
        + "AND status <> 'cancelled' GROUP BY member_id HAVING count(*) > 1) d", eventId))
        .as("members with more than one active booking").isZero();
    // no seat is left free while someone waits
    if (booked < db.count("SELECT capacity FROM events WHERE id = ?::uuid", eventId)) {
      assertThat(waitlisted).as("waitlisted while seats are free").isZero();
    }
    JsonObject event = api.get("/v1/events/" + eventId, admin.token()).json();
    assertThat(event.getLong("bookedCount").longValue()).isEqualTo(booked);
    assertThat(event.getLong("waitlistCount").longValue()).isEqualTo(waitlisted);
  }
}
