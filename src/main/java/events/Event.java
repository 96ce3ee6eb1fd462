package events;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.UUID;

public record Event(UUID id, String title, String description, OffsetDateTime startsAt, OffsetDateTime endsAt,
                    int capacity, int waitlistCapacity, int bookedCount, int waitlistCount, UUID trainerId,
                    String location, String status, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static final String COLUMNS = "id, title, description, starts_at, ends_at, capacity, waitlist_capacity, "
      + "booked_count, waitlist_count, trainer_id, location, status, created_at, updated_at";

  public static Event from(Row row) {
    return new Event(row.getUUID("id"), row.getString("title"), row.getString("description"),
        row.getOffsetDateTime("starts_at"), row.getOffsetDateTime("ends_at"), row.getInteger("capacity"),
        row.getInteger("waitlist_capacity"), row.getInteger("booked_count"), row.getInteger("waitlist_count"),
        row.getUUID("trainer_id"), row.getString("location"), row.getString("status"),
        row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
  }

  public boolean isTrainer(String memberId) {
    return trainerId != null && trainerId.toString().equals(memberId);
  }

  public JsonObject toJson() {
    int seatsLeft = "scheduled".equals(status) ? Math.max(0, capacity - bookedCount) : 0;
    return new JsonObject()
        .put("id", id.toString())
        .put("title", title)
        .put("description", description)
        .put("startsAt", Json.time(startsAt))
        .put("endsAt", Json.time(endsAt))
        .put("capacity", capacity)
        .put("waitlistCapacity", waitlistCapacity)
        .put("bookedCount", bookedCount)
        .put("waitlistCount", waitlistCount)
        .put("seatsLeft", seatsLeft)
        .put("trainerId", trainerId == null ? null : trainerId.toString())
        .put("location", location)
        .put("status", status)
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }
}
