package events;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import com.fasterxml.jackson.core.JsonGenerator;
import web.Json;
import web.JsonBody;

import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.UUID;

public record Event(UUID id, String title, String description, OffsetDateTime startsAt, OffsetDateTime endsAt,
                    int capacity, int waitlistCapacity, int bookedCount, int waitlistCount, UUID trainerId,
                    String location, String status, OffsetDateTime createdAt, OffsetDateTime updatedAt)
    implements JsonBody {

  static final String COLUMNS = "id, title, description, starts_at, ends_at, capacity, waitlist_capacity, "
      + "booked_count, waitlist_count, trainer_id, location, status, created_at, updated_at";

  /** A row whose first columns are {@link #COLUMNS}, in that order (by position: a list reads thousands). */
  public static Event from(Row row) {
    return new Event(row.getUUID(0), row.getString(1), row.getString(2), row.getOffsetDateTime(3),
        row.getOffsetDateTime(4), row.getInteger(5), row.getInteger(6), row.getInteger(7), row.getInteger(8),
        row.getUUID(9), row.getString(10), row.getString(11), row.getOffsetDateTime(12), row.getOffsetDateTime(13));
  }

  public boolean isTrainer(String memberId) {
    return trainerId != null && trainerId.toString().equals(memberId);
  }

  /** What a webhook's payload carries; the API's answers write the same fields with {@link #writeJson}. */
  public JsonObject toJson() {
    return new JsonObject(new LinkedHashMap<>(32)) // 15 fields: no rehash on the way
        .put("id", id.toString())
        .put("title", title)
        .put("description", description)
        .put("startsAt", Json.time(startsAt))
        .put("endsAt", Json.time(endsAt))
        .put("capacity", capacity)
        .put("waitlistCapacity", waitlistCapacity)
        .put("bookedCount", bookedCount)
        .put("waitlistCount", waitlistCount)
        .put("seatsLeft", seatsLeft())
        .put("trainerId", trainerId == null ? null : trainerId.toString())
        .put("location", location)
        .put("status", status)
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }

  /** The bytes {@code toJson().toBuffer()} would give, without building the tree (a page writes dozens). */
  @Override
  public void writeJson(JsonGenerator out) throws IOException {
    out.writeStartObject();
    out.writeStringField("id", id.toString());
    out.writeStringField("title", title);
    out.writeStringField("description", description);
    out.writeStringField("startsAt", Json.time(startsAt));
    out.writeStringField("endsAt", Json.time(endsAt));
    out.writeNumberField("capacity", capacity);
    out.writeNumberField("waitlistCapacity", waitlistCapacity);
    out.writeNumberField("bookedCount", bookedCount);
    out.writeNumberField("waitlistCount", waitlistCount);
    out.writeNumberField("seatsLeft", seatsLeft());
    out.writeStringField("trainerId", trainerId == null ? null : trainerId.toString());
    out.writeStringField("location", location);
    out.writeStringField("status", status);
    out.writeStringField("createdAt", Json.time(createdAt));
    out.writeStringField("updatedAt", Json.time(updatedAt));
    out.writeEndObject();
  }

  private int seatsLeft() {
    return "scheduled".equals(status) ? Math.max(0, capacity - bookedCount) : 0;
  }
}
