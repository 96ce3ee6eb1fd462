package bookings;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.ApiError;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Decides many booking requests in one round trip, with the same rules and answers as one booking at a time. The
 * database function {@code book_batch} (db/migration/V9__booking_batch.sql) locks the events' rows (in id order),
 * looks at every requester, decides in arrival order (first come, first served: seats, then waitlist places, then
 * event_full) and writes the bookings, their outbox rows and the counts. It is sent as one statement outside any
 * explicit transaction, so it commits as it ends: a hot event's row is locked only while the server works, never
 * across a network round trip or a wait for this event loop. The database still enforces every invariant.
 */
final class BookingBatch {

  /** One request of the batch, in arrival order, with the trace context its outbox row carries. */
  record Request(UUID eventId, UUID memberId, tracing.TraceStamp trace) {
  }

  /** The answer to one request: a booking, or the error it would have got alone. */
  record Outcome(Booking booking, ApiError error) {
  }

  /**
   * A batch's answers, in request order, and when (server clock) its events' rows were locked: the lock is held
   * from then until the commit, which a measurement compares with the time the commit was acknowledged.
   */
  record Decided(List<Outcome> outcomes, OffsetDateTime lockedAt) {
  }

  private BookingBatch() {
  }

  /** Decides the batch in one statement, its own transaction. */
  static Future<Decided> run(SqlClient db, List<Request> requests) {
    List<String> traceparents = requests.stream().map(r -> r.trace().traceparent()).toList();
    List<String> requestIds = requests.stream().map(r -> r.trace().requestId()).toList();
    return db.preparedQuery(BookingRepository.BOOKING_SQL.get("book_batch"))
        // Tuple.of would spread an array over the varargs: add each array as one parameter
        .execute(Tuple.tuple().addArrayOfUUID(requests.stream().map(Request::eventId).toArray(UUID[]::new))
            .addArrayOfUUID(requests.stream().map(Request::memberId).toArray(UUID[]::new))
            .addArrayOfString(traceparents.toArray(String[]::new))
            .addArrayOfString(requestIds.toArray(String[]::new)))
        .map(BookingBatch::decided);
  }

  /** One row per request, in request order: a booking's columns, or no booking and the refusal's code. */
  private static Decided decided(RowSet<Row> rows) {
    List<Outcome> outcomes = new ArrayList<>(rows.size());
    OffsetDateTime lockedAt = null;
    for (Row row : rows) {
      lockedAt = row.getOffsetDateTime("locked_at");
      outcomes.add(row.getUUID("id") != null
          ? new Outcome(Booking.from(row), null)
          : new Outcome(null, BookingRepository.Refusal.of(row.getString("outcome")).error()));
    }
    return new Decided(outcomes, lockedAt);
  }
}
