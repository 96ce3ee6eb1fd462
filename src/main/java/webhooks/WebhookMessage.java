package webhooks;

import bookings.Booking;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import web.Json;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One event for one endpoint, as it travels through the broker: the message id (the {@code webhook-id} header,
 * shared by every endpoint and every attempt), the endpoint, and the body the partner receives,
 * {@code {"type", "timestamp", "data"}}.
 */
public record WebhookMessage(UUID messageId, UUID endpointId, JsonObject body) {

  /** The outbox payload fields that carry a webhook; notifications never see them. */
  private static final List<String> FIELDS =
      List.of("webhooks", "webhookType", "webhookAt", "webhookData", "webhookMessage", "webhookMessageId");

  public String type() {
    return body.getString("type");
  }

  public Buffer toBuffer() {
    return new JsonObject().put("messageId", messageId.toString()).put("endpointId", endpointId.toString())
        .put("body", body).toBuffer();
  }

  /** @throws RuntimeException when the bytes are not a webhook message (then nothing can be sent or recorded) */
  public static WebhookMessage fromBuffer(Buffer buffer) {
    JsonObject json = buffer.toJsonObject();
    JsonObject body = json.getJsonObject("body");
    if (body == null || body.getString("type") == null) {
      throw new IllegalArgumentException("a webhook message without a body and its type");
    }
    return new WebhookMessage(UUID.fromString(json.getString("messageId")),
        UUID.fromString(json.getString("endpointId")), body);
  }

  /**
   * The messages an outbox row asks for: one per subscribed endpoint (none when it names none). The message id is
   * the row's, or the original one for a redelivery. A booking's data is its snapshot shown as the API shows a
   * booking; other resources are stored already in their API view.
   */
  public static List<WebhookMessage> of(UUID rowId, JsonObject payload) {
    JsonArray endpoints = payload.getJsonArray("webhooks");
    if (endpoints == null || endpoints.isEmpty()) {
      return List.of();
    }
    JsonObject body = payload.getJsonObject("webhookMessage");
    if (body == null) {
      String type = payload.getString("webhookType");
      JsonObject data = payload.getJsonObject("webhookData");
      body = new JsonObject().put("type", type)
          .put("timestamp", Json.time(OffsetDateTime.parse(payload.getString("webhookAt"))))
          .put("data", type.startsWith("booking.") ? Booking.fromColumns(data).toJson() : data);
    }
    String original = payload.getString("webhookMessageId");
    UUID messageId = original == null ? rowId : UUID.fromString(original);
    List<WebhookMessage> out = new ArrayList<>();
    for (Object endpoint : endpoints) {
      out.add(new WebhookMessage(messageId, UUID.fromString(endpoint.toString()), body));
    }
    return out;
  }

  /** The payload as notifications see it: without the webhook fields. */
  public static JsonObject withoutWebhook(JsonObject payload) {
    if (!payload.containsKey("webhooks")) {
      return payload;
    }
    JsonObject copy = payload.copy();
    FIELDS.forEach(copy::remove);
    return copy;
  }
}
