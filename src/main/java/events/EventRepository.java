package events;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.ApiError;
import web.Cursor;
import web.Json;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** SQL for events. Constraint violations become the contract's errors here. */
public final class EventRepository {

  private static final String COLUMNS = Event.COLUMNS;
  /** The smallest uuid: the cursor's id when there is no cursor. */
  private static final String NO_ID = "00000000-0000-0000-0000-000000000000";

  /** JSON field → column, for the fields a PATCH may change. */
  private static final Map<String, String> UPDATABLE = new LinkedHashMap<>();

  static {
    UPDATABLE.put("title", "title");
    UPDATABLE.put("description", "description");
    UPDATABLE.put("location", "location");
    UPDATABLE.put("startsAt", "starts_at");
    UPDATABLE.put("endsAt", "ends_at");
    UPDATABLE.put("capacity", "capacity");
    UPDATABLE.put("waitlistCapacity", "waitlist_capacity");
  }

  public Future<Event> insert(SqlClient db, JsonObject e) {
    return db.preparedQuery("INSERT INTO events (title, description, starts_at, ends_at, capacity, waitlist_capacity, "
            + "trainer_id, location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING " + COLUMNS)
        .execute(Tuple.tuple()
            .addString(e.getString("title"))
            .addString(e.getString("description"))
            .addOffsetDateTime(Json.parseTime("startsAt", e.getString("startsAt")))
            .addOffsetDateTime(Json.parseTime("endsAt", e.getString("endsAt")))
            .addInteger(e.getInteger("capacity"))
            .addInteger(e.getInteger("waitlistCapacity", 0))
            .addUUID(e.getString("trainerId") == null ? null : UUID.fromString(e.getString("trainerId")))
            .addString(e.getString("location")))
        .map(rows -> Event.from(rows.iterator().next()))
        .recover(EventRepository::violations);
  }

  public Future<Event> findById(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM events WHERE id = $1")
        .execute(Tuple.of(id))
        .map(EventRepository::firstOrNull);
  }

  /** Locks the event row: every change to an event's bookings takes this lock first, so they never deadlock. */
  public Future<Event> lock(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM events WHERE id = $1 FOR UPDATE")
        .execute(Tuple.of(id))
        .map(EventRepository::firstOrNull);
  }

  public Future<List<Event>> list(SqlClient db, OffsetDateTime from, OffsetDateTime to, UUID trainerId, String status,
                                  Cursor after, int fetch) {
    // the time bounds and the cursor are index conditions on events_page even when absent (an infinite bound), so
    // a page is read from its first event on; "$1 IS NULL OR ..." made the cached generic plan read every event
    String sql = "SELECT " + COLUMNS + " FROM events WHERE starts_at >= COALESCE($1::timestamptz, '-infinity') "
        + "AND starts_at < COALESCE($2::timestamptz, 'infinity') AND ($3::uuid IS NULL OR trainer_id = $3) "
        + "AND ($4::text IS NULL OR status = $4) "
        + "AND (starts_at, id) > (COALESCE($5::timestamptz, '-infinity'), COALESCE($6::uuid, '" + NO_ID + "')) "
        + "ORDER BY starts_at, id LIMIT $7";
    return db.preparedQuery(sql)
        .execute(Tuple.tuple().addOffsetDateTime(from).addOffsetDateTime(to).addUUID(trainerId).addString(status)
            .addOffsetDateTime(after == null ? null : after.key()).addUUID(after == null ? null : after.id())
            .addInteger(fetch))
        .map(rows -> {
          List<Event> list = new ArrayList<>();
          rows.forEach(r -> list.add(Event.from(r)));
          return list;
        });
  }

  public Future<Event> update(SqlClient db, UUID id, JsonObject changes) {
    List<String> sets = new ArrayList<>();
    Tuple params = Tuple.tuple().addUUID(id);
    UPDATABLE.forEach((field, column) -> {
      if (changes.containsKey(field)) {
        Object value = changes.getValue(field);
        if (value != null && column.endsWith("_at")) {
          value = Json.parseTime(field, (String) value);
        }
        params.addValue(value);
        sets.add(column + " = $" + params.size());
      }
    });
    sets.add("updated_at = now()");
    return db.preparedQuery("UPDATE events SET " + String.join(", ", sets) + " WHERE id = $1 RETURNING " + COLUMNS)
        .execute(params)
        .map(EventRepository::firstOrNull)
        .recover(EventRepository::violations);
  }

  /** @return the event now cancelled, or null when it does not exist or was cancelled already */
  public Future<Event> markCancelled(SqlClient db, UUID id) {
    return db.preparedQuery("UPDATE events SET status = 'cancelled', updated_at = now() "
            + "WHERE id = $1 AND status = 'scheduled' RETURNING " + COLUMNS)
        .execute(Tuple.of(id))
        .map(EventRepository::firstOrNull);
  }

  /** Recounts an event's seats and waitlist from its booking rows. */
  public Future<Event> recount(SqlClient db, UUID id) {
    return db.preparedQuery("UPDATE events e SET "
            + "booked_count = (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status IN ('confirmed', 'attended')), "
            + "waitlist_count = (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'waitlisted'), "
            + "updated_at = now() WHERE e.id = $1 RETURNING " + COLUMNS)
        .execute(Tuple.of(id))
        .map(EventRepository::firstOrNull);
  }

  private static Event firstOrNull(RowSet<Row> rows) {
    return rows.size() == 0 ? null : Event.from(rows.iterator().next());
  }

  private static <T> Future<T> violations(Throwable error) {
    if (error instanceof PgException pg) {
      String constraint = String.valueOf(pg.getConstraint());
      if ("23514".equals(pg.getSqlState())) {
        if (constraint.equals("events_ends_after_start")) {
          return Future.failedFuture(ApiError.invalid("endsAt", "must be after startsAt"));
        }
        if (constraint.equals("events_booked_within_capacity") || constraint.equals("events_waitlist_within_capacity")) {
          return Future.failedFuture(ApiError.conflict("capacity_below_booked",
              "The new capacity is below the seats or waitlist places already booked."));
        }
      }
      if ("23503".equals(pg.getSqlState()) && constraint.contains("trainer")) {
        return Future.failedFuture(ApiError.invalid("trainerId", "is not the id of a member"));
      }
    }
    return Future.failedFuture(error);
  }
}
