package bookings;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import web.ApiError;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Decides many booking requests in one transaction, with the same rules and answers as one booking at a
 * time: the events' rows are locked (in id order), every requester is looked at, requests are decided in
 * arrival order (first come, first served: seats, then waitlist places, then event_full), and the counts
 * and rows are written in two statements. The database still enforces every invariant.
 */
final class BookingBatch {

  /** One request of the batch, in arrival order, with the trace context its outbox row carries. */
  record Request(UUID eventId, UUID memberId, tracing.TraceStamp trace) {
  }

  /** The answer to one request: a booking, or the error it would have got alone. */
  record Outcome(Booking booking, ApiError error) {
  }

  private static final class EventState {
    final int capacity;
    final int waitlistCapacity;
    final boolean bookable;
    int booked;
    int waitlisted;
    int newlyBooked;
    int newlyWaitlisted;

    EventState(Row r) {
      capacity = r.getInteger("capacity");
      waitlistCapacity = r.getInteger("waitlist_capacity");
      bookable = r.getBoolean("bookable");
      booked = r.getInteger("booked_count");
      waitlisted = r.getInteger("waitlist_count");
    }
  }

  private BookingBatch() {
  }

  static Future<List<Outcome>> decide(SqlConnection tx, List<Request> requests) {
    UUID[] eventIds = requests.stream().map(Request::eventId).distinct().sorted().toArray(UUID[]::new);
    // Sent together on the connection (pipelined): PostgreSQL runs them in order, so the requesters are read
    // after the events are locked, and the lock is held one round trip less.
    Future<io.vertx.sqlclient.RowSet<Row>> locked = tx.preparedQuery(BookingRepository.BOOKING_SQL.get("lock_events"))
        .execute(Tuple.tuple().addArrayOfUUID(eventIds));
    Future<io.vertx.sqlclient.RowSet<Row>> eligibility = tx.preparedQuery(BookingRepository.BOOKING_SQL.get("batch_eligibility"))
        .execute(Tuple.tuple().addArrayOfUUID(requests.stream().map(Request::eventId).toArray(UUID[]::new))
            .addArrayOfUUID(requests.stream().map(Request::memberId).toArray(UUID[]::new)));
    return Future.all(locked, eligibility).compose(both -> {
      Map<UUID, EventState> events = new HashMap<>();
      locked.result().forEach(r -> events.put(r.getUUID("id"), new EventState(r)));
      return write(tx, requests, events, eligibility.result());
    });
  }

  private static Future<List<Outcome>> write(SqlConnection tx, List<Request> requests, Map<UUID, EventState> events,
                                             io.vertx.sqlclient.RowSet<Row> eligibility) {
    List<Row> rows = new ArrayList<>();
    eligibility.forEach(rows::add);
    Outcome[] outcomes = new Outcome[requests.size()];
    String[] statuses = new String[requests.size()];
    Integer[] positions = new Integer[requests.size()];
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < requests.size(); i++) {
      Request request = requests.get(i);
      Row member = rows.get(i);
      EventState event = events.get(request.eventId());
      String memberStatus = member.getString("status");
      boolean duplicate = !seen.add(request.eventId() + "/" + request.memberId());
      // the same order of checks as BookingService.book, so a request gets the same answer either way
      if (memberStatus == null) {
        outcomes[i] = failed(ApiError.notFound("No such member."));
      } else if ("suspended".equals(memberStatus)) {
        outcomes[i] = failed(ApiError.forbidden("member_suspended", "This member is suspended and cannot book."));
      } else if (Boolean.TRUE.equals(member.getBoolean("booked")) || duplicate) {
        outcomes[i] = failed(BookingRepository.alreadyBooked());
      } else if (event == null) {
        outcomes[i] = failed(ApiError.notFound("event_not_found", "No such event."));
      } else if (!event.bookable) {
        outcomes[i] = failed(ApiError.conflict("event_not_bookable", "This event is cancelled or has started."));
      } else if (event.booked < event.capacity) {
        event.booked++;
        event.newlyBooked++;
        statuses[i] = "confirmed";
      } else if (event.waitlisted < event.waitlistCapacity) {
        event.waitlisted++;
        event.newlyWaitlisted++;
        statuses[i] = "waitlisted";
        positions[i] = event.waitlisted;
      } else {
        outcomes[i] = failed(ApiError.conflict("event_full", "No seats and no waitlist places are left."));
      }
    }
    List<Integer> granted = new ArrayList<>();
    for (int i = 0; i < statuses.length; i++) {
      if (statuses[i] != null) {
        granted.add(i);
      }
    }
    if (granted.isEmpty()) {
      return Future.succeededFuture(List.of(outcomes));
    }
    // the two writes are independent: pipelined too
    Future<Void> counted = counts(tx, events);
    Future<Map<String, Booking>> written = insert(tx, requests, statuses, granted);
    return Future.all(counted, written).map(done -> written.result()).map(inserted -> {
      for (int i : granted) {
        Booking booking = inserted.get(requests.get(i).eventId() + "/" + requests.get(i).memberId());
        outcomes[i] = new Outcome(booking.withPosition(positions[i]), null);
      }
      return List.of(outcomes);
    });
  }

  private static Future<Void> counts(SqlConnection tx, Map<UUID, EventState> events) {
    Map<UUID, EventState> changed = new LinkedHashMap<>();
    events.forEach((id, e) -> {
      if (e.newlyBooked > 0 || e.newlyWaitlisted > 0) {
        changed.put(id, e);
      }
    });
    return tx.preparedQuery(BookingRepository.BOOKING_SQL.get("batch_counts"))
        .execute(Tuple.tuple().addArrayOfUUID(changed.keySet().toArray(UUID[]::new))
            .addArrayOfInteger(changed.values().stream().map(e -> e.newlyBooked).toArray(Integer[]::new))
            .addArrayOfInteger(changed.values().stream().map(e -> e.newlyWaitlisted).toArray(Integer[]::new)))
        .mapEmpty();
  }

  private static Future<Map<String, Booking>> insert(SqlConnection tx, List<Request> requests, String[] statuses,
                                                     List<Integer> granted) {
    return tx.preparedQuery(BookingRepository.BOOKING_SQL.get("batch_insert"))
        // Tuple.of would spread an array over the varargs: add each array as one parameter
        .execute(Tuple.tuple().addArrayOfUUID(granted.stream().map(i -> requests.get(i).eventId()).toArray(UUID[]::new))
            .addArrayOfUUID(granted.stream().map(i -> requests.get(i).memberId()).toArray(UUID[]::new))
            .addArrayOfString(granted.stream().map(i -> statuses[i]).toArray(String[]::new))
            .addArrayOfString(granted.stream().map(i -> requests.get(i).trace().traceparent()).toArray(String[]::new))
            .addArrayOfString(granted.stream().map(i -> requests.get(i).trace().requestId()).toArray(String[]::new)))
        .map(rows -> {
          Map<String, Booking> byPair = new HashMap<>();
          rows.forEach(r -> {
            Booking b = Booking.from(r);
            byPair.put(b.eventId() + "/" + b.memberId(), b);
          });
          return byPair;
        });
  }

  private static Outcome failed(ApiError error) {
    return new Outcome(null, error);
  }

}
