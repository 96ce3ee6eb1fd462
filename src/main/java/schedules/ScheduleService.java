package schedules;

import auth.Caller;
import cron.CronSchedule;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import web.ApiError;
import web.ApiError.FieldError;
import web.Cursor;
import web.Page;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Weekly schedules (admins only): create, read, list, and soft delete. The events come from generate_schedule. */
public final class ScheduleService {

  private final Pool pool;
  private final ScheduleRepository schedules;

  public ScheduleService(Pool pool, ScheduleRepository schedules) {
    this.pool = pool;
    this.schedules = schedules;
  }

  public Future<Schedule> create(Caller caller, JsonObject body) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins manage schedules."));
    }
    ScheduleRepository.Draft draft;
    try {
      draft = draft(body);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    return schedules.insert(pool, draft);
  }

  public Future<Schedule> get(Caller caller, UUID id) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins manage schedules."));
    }
    return schedules.findById(pool, id).map(ScheduleService::found);
  }

  public Future<JsonObject> list(Caller caller, Cursor after, int limit) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins manage schedules."));
    }
    return schedules.list(pool, after, limit + 1)
        .map(rows -> Page.of(rows, limit, Schedule::toJson, Schedule::createdAt, Schedule::id));
  }

  /** Soft delete: no more events are generated from it; those already generated stay. */
  public Future<Void> delete(Caller caller, UUID id) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins manage schedules."));
    }
    return schedules.softDelete(pool, id).compose(deleted -> deleted
        ? Future.succeededFuture()
        : Future.failedFuture(notFound()));
  }

  /** The body (already validated against the contract's schema) as a draft; the checks the schema cannot make. */
  static ScheduleRepository.Draft draft(JsonObject body) {
    String timezone = body.getString("timezone");
    if (timezone == null || timezone.isBlank()) {
      // CronSchedule.zone reads a blank zone as UTC; a schedule must name its zone
      throw unknownTimezone("'" + timezone + "' is not a known time zone (use an IANA name like Europe/Berlin)");
    }
    ZoneId zone;
    try {
      zone = CronSchedule.zone(timezone);
    } catch (CronSchedule.Invalid e) {
      throw unknownTimezone(e.getMessage());
    }
    LocalDate validFrom = date("validFrom", body.getString("validFrom"));
    LocalDate validUntil = date("validUntil", body.getString("validUntil"));
    if (validUntil != null && validUntil.isBefore(validFrom)) {
      throw ApiError.invalid("validUntil", "must not be before validFrom");
    }
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    JsonArray codes = body.getJsonArray("daysOfWeek", new JsonArray());
    for (Object code : codes) {
      try {
        days.add(Schedule.day(String.valueOf(code)));
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("daysOfWeek", "has an item that is not one of MON, TUE, WED, THU, FRI, SAT, SUN");
      }
    }
    if (days.isEmpty()) {
      throw ApiError.invalid("daysOfWeek", "must name at least one weekday");
    }
    LocalTime startTime;
    try {
      startTime = LocalTime.parse(body.getString("startTime"));
    } catch (DateTimeParseException | NullPointerException e) {
      throw ApiError.invalid("startTime", "is not a local time HH:mm");
    }
    String trainerId = body.getString("trainerId");
    return new ScheduleRepository.Draft(body.getString("title"), trainerId == null ? null : UUID.fromString(trainerId),
        body.getString("location"), body.getInteger("capacity"), body.getInteger("waitlistCapacity", 0), zone.getId(),
        List.copyOf(days), startTime.withSecond(0).withNano(0), body.getInteger("durationMinutes"), validFrom,
        validUntil);
  }

  private static ApiError unknownTimezone(String message) {
    return new ApiError(400, "unknown_timezone", message, List.of(new FieldError("timezone", message)));
  }

  private static LocalDate date(String field, String text) {
    if (text == null) {
      if (field.equals("validFrom")) {
        throw ApiError.invalid(field, "is required");
      }
      return null;
    }
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiError.invalid(field, "is not a date YYYY-MM-DD");
    }
  }

  private static Schedule found(Schedule schedule) {
    if (schedule == null) {
      throw notFound();
    }
    return schedule;
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such schedule.");
  }
}
