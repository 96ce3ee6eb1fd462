package webhooks;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.UUID;

/** One message to one endpoint, as ops see it. */
public record WebhookDelivery(UUID id, UUID messageId, UUID endpointId, String eventType, String status, int attempts,
                              Integer lastStatusCode, String lastError, OffsetDateTime nextAttemptAt,
                              OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static WebhookDelivery from(Row r) {
    return new WebhookDelivery(r.getUUID("id"), r.getUUID("message_id"), r.getUUID("endpoint_id"),
        r.getString("event_type"), r.getString("status"), r.getInteger("attempts"), r.getInteger("last_status_code"),
        r.getString("last_error"), r.getOffsetDateTime("next_attempt_at"), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("messageId", messageId.toString())
        .put("endpointId", endpointId.toString())
        .put("eventType", eventType)
        .put("status", status)
        .put("attempts", attempts)
        .put("lastStatusCode", lastStatusCode)
        .put("lastError", lastError)
        .put("nextAttemptAt", nextAttemptAt == null ? null : Json.time(nextAttemptAt))
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }
}
