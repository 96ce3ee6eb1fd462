package schedules;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.ApiError;
import web.Cursor;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** SQL for weekly schedules, and the bulk insert of the events they generate. Deleted schedules are invisible. */
public final class ScheduleRepository {

  private static final String COLUMNS = Schedule.COLUMNS;

  /** A schedule to create, already checked by the service. */
  public record Draft(String title, UUID trainerId, String location, int capacity, int waitlistCapacity,
                      String timezone, List<DayOfWeek> daysOfWeek, LocalTime startTime, int durationMinutes,
                      LocalDate validFrom, LocalDate validUntil) {
  }

  /** One event a schedule generates. */
  public record Occurrence(UUID scheduleId, Instant startsAt, Instant endsAt) {
  }

  public Future<Schedule> insert(SqlClient db, Draft d) {
    String[] days = d.daysOfWeek().stream().map(Schedule::code).toArray(String[]::new);
    return db.preparedQuery("INSERT INTO schedules (title, trainer_id, location, capacity, waitlist_capacity, timezone, "
            + "days_of_week, start_time, duration_minutes, valid_from, valid_until) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING " + COLUMNS)
        .execute(Tuple.tuple()
            .addString(d.title())
            .addUUID(d.trainerId())
            .addString(d.location())
            .addInteger(d.capacity())
            .addInteger(d.waitlistCapacity())
            .addString(d.timezone())
            .addArrayOfString(days)
            .addLocalTime(d.startTime())
            .addInteger(d.durationMinutes())
            .addLocalDate(d.validFrom())
            .addLocalDate(d.validUntil()))
        .map(rows -> Schedule.from(rows.iterator().next()))
        .recover(ScheduleRepository::violations);
  }

  /** @return the schedule, or null when there is none or it was deleted */
  public Future<Schedule> findById(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM schedules WHERE id = $1 AND deleted_at IS NULL")
        .execute(Tuple.of(id))
        .map(ScheduleRepository::firstOrNull);
  }

  /** A page of schedules not deleted, by creation time, then id. */
  public Future<List<Schedule>> list(SqlClient db, Cursor after, int fetch) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM schedules WHERE deleted_at IS NULL "
            + "AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2)) ORDER BY created_at, id LIMIT $3")
        .execute(Tuple.tuple().addOffsetDateTime(after == null ? null : after.key())
            .addUUID(after == null ? null : after.id()).addInteger(fetch))
        .map(ScheduleRepository::all);
  }

  /** Soft delete: the events already generated stay. @return false when there is no such schedule (or it is deleted) */
  public Future<Boolean> softDelete(SqlClient db, UUID id) {
    return db.preparedQuery("UPDATE schedules SET deleted_at = now(), updated_at = now() "
            + "WHERE id = $1 AND deleted_at IS NULL")
        .execute(Tuple.of(id))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Every schedule not deleted whose validity has not ended before {@code onOrAfter}. */
  public Future<List<Schedule>> listActive(SqlClient db, LocalDate onOrAfter) {
    return db.preparedQuery("SELECT " + COLUMNS + " FROM schedules WHERE deleted_at IS NULL "
            + "AND (valid_until IS NULL OR valid_until >= $1) ORDER BY created_at, id")
        .execute(Tuple.tuple().addLocalDate(onOrAfter))
        .map(ScheduleRepository::all);
  }

  /**
   * Creates the events of the given occurrences in one statement, each with its schedule's current title,
   * trainer, location and capacities. An occurrence that exists already (same schedule and start) is left alone,
   * and so is one whose schedule was deleted meanwhile: running this twice creates nothing the second time.
   *
   * @return the number of events created
   */
  public Future<Integer> insertOccurrences(SqlClient db, List<Occurrence> occurrences) {
    if (occurrences.isEmpty()) {
      return Future.succeededFuture(0);
    }
    UUID[] ids = new UUID[occurrences.size()];
    OffsetDateTime[] starts = new OffsetDateTime[occurrences.size()];
    OffsetDateTime[] ends = new OffsetDateTime[occurrences.size()];
    for (int i = 0; i < occurrences.size(); i++) {
      Occurrence o = occurrences.get(i);
      ids[i] = o.scheduleId();
      starts[i] = o.startsAt().atOffset(ZoneOffset.UTC);
      ends[i] = o.endsAt().atOffset(ZoneOffset.UTC);
    }
    return db.preparedQuery("INSERT INTO events (title, starts_at, ends_at, capacity, waitlist_capacity, trainer_id, "
            + "location, schedule_id) "
            + "SELECT s.title, o.starts_at, o.ends_at, s.capacity, s.waitlist_capacity, s.trainer_id, s.location, s.id "
            + "FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS o (schedule_id, starts_at, ends_at) "
            + "JOIN schedules s ON s.id = o.schedule_id AND s.deleted_at IS NULL "
            + "ON CONFLICT (schedule_id, starts_at) WHERE schedule_id IS NOT NULL DO NOTHING")
        .execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfOffsetDateTime(starts).addArrayOfOffsetDateTime(ends))
        .map(RowSet::rowCount);
  }

  private static List<Schedule> all(RowSet<Row> rows) {
    List<Schedule> list = new ArrayList<>();
    rows.forEach(r -> list.add(Schedule.from(r)));
    return list;
  }

  private static Schedule firstOrNull(RowSet<Row> rows) {
    return rows.size() == 0 ? null : Schedule.from(rows.iterator().next());
  }

  private static <T> Future<T> violations(Throwable error) {
    if (error instanceof PgException pg) {
      String constraint = String.valueOf(pg.getConstraint());
      if ("23503".equals(pg.getSqlState()) && constraint.contains("trainer")) {
        return Future.failedFuture(ApiError.invalid("trainerId", "is not the id of a member"));
      }
      if ("23514".equals(pg.getSqlState()) && constraint.equals("schedules_check")) {
        return Future.failedFuture(ApiError.invalid("validUntil", "must not be before validFrom"));
      }
    }
    return Future.failedFuture(error);
  }
}
