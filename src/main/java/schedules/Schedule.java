package schedules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A weekly schedule: a class on some weekdays at a local wall-clock time in a time zone, between two dates. */
public record Schedule(UUID id, String title, UUID trainerId, String location, int capacity, int waitlistCapacity,
                       String timezone, List<DayOfWeek> daysOfWeek, LocalTime startTime, int durationMinutes,
                       LocalDate validFrom, LocalDate validUntil, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static final String COLUMNS = "id, title, trainer_id, location, capacity, waitlist_capacity, timezone, days_of_week, "
      + "start_time, duration_minutes, valid_from, valid_until, created_at, updated_at";

  private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm");

  static Schedule from(Row row) {
    List<DayOfWeek> days = new ArrayList<>();
    for (String day : row.getArrayOfStrings("days_of_week")) {
      days.add(day(day));
    }
    return new Schedule(row.getUUID("id"), row.getString("title"), row.getUUID("trainer_id"), row.getString("location"),
        row.getInteger("capacity"), row.getInteger("waitlist_capacity"), row.getString("timezone"), List.copyOf(days),
        row.getLocalTime("start_time"), row.getInteger("duration_minutes"), row.getLocalDate("valid_from"),
        row.getLocalDate("valid_until"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
  }

  /** The contract's name of a weekday: MON, TUE, ... SUN. */
  public static String code(DayOfWeek day) {
    return day.name().substring(0, 3);
  }

  /** The weekday of a contract name (MON..SUN). */
  public static DayOfWeek day(String code) {
    for (DayOfWeek day : DayOfWeek.values()) {
      if (code(day).equals(code)) {
        return day;
      }
    }
    throw new IllegalArgumentException("not a weekday: " + code);
  }

  public JsonObject toJson() {
    JsonArray days = new JsonArray();
    daysOfWeek.forEach(d -> days.add(code(d)));
    return new JsonObject()
        .put("id", id.toString())
        .put("title", title)
        .put("trainerId", trainerId == null ? null : trainerId.toString())
        .put("location", location)
        .put("capacity", capacity)
        .put("waitlistCapacity", waitlistCapacity)
        .put("timezone", timezone)
        .put("daysOfWeek", days)
        .put("startTime", HH_MM.format(startTime))
        .put("durationMinutes", durationMinutes)
        .put("validFrom", validFrom.toString())
        .put("validUntil", validUntil == null ? null : validUntil.toString())
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }
}
