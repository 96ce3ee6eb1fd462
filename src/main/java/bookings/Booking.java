package bookings;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import com.fasterxml.jackson.core.JsonGenerator;
import web.Json;
import web.JsonBody;

import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.UUID;

public record Booking(UUID id, UUID eventId, UUID memberId, String status, Integer waitlistPosition,
                      OffsetDateTime createdAt, OffsetDateTime updatedAt) implements JsonBody {

  static Booking from(Row row) {
    Long position = row.getLong("waitlist_position");
    return new Booking(row.getUUID("id"), row.getUUID("event_id"), row.getUUID("member_id"), row.getString("status"),
        position == null ? null : position.intValue(), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"));
  }

  /** A booking from its columns as PostgreSQL's to_jsonb writes them (an outbox row's snapshot for webhooks). */
  public static Booking fromColumns(io.vertx.core.json.JsonObject c) {
    return new Booking(UUID.fromString(c.getString("id")), UUID.fromString(c.getString("event_id")),
        UUID.fromString(c.getString("member_id")), c.getString("status"), null,
        OffsetDateTime.parse(c.getString("created_at")), OffsetDateTime.parse(c.getString("updated_at")));
  }

  Booking withPosition(Integer position) {
    return new Booking(id, eventId, memberId, status, position, createdAt, updatedAt);
  }

  /** A webhook's payload and the roster's entries; the API's answers write the same with {@link #writeJson}. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("eventId", eventId.toString())
        .put("memberId", memberId.toString())
        .put("status", status)
        .put("waitlistPosition", waitlistPosition)
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }

  /** The bytes {@code toJson().toBuffer()} would give, without building the tree. */
  @Override
  public void writeJson(JsonGenerator out) throws IOException {
    out.writeStartObject();
    out.writeStringField("id", id.toString());
    out.writeStringField("eventId", eventId.toString());
    out.writeStringField("memberId", memberId.toString());
    out.writeStringField("status", status);
    out.writeFieldName("waitlistPosition");
    if (waitlistPosition == null) {
      out.writeNull();
    } else {
      out.writeNumber(waitlistPosition.intValue());
    }
    out.writeStringField("createdAt", Json.time(createdAt));
    out.writeStringField("updatedAt", Json.time(updatedAt));
    out.writeEndObject();
  }
}
