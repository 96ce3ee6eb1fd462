package notifications;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * What travels through RabbitMQ: one notification for one channel. {@code notificationId} is the outbox
 * row's id (also the AMQP message id); with the channel it names one delivery.
 */
public record NotificationMessage(UUID notificationId, String kind, String channel, UUID memberId, JsonObject payload) {

  public Buffer toBuffer() {
    return new JsonObject().put("notificationId", notificationId.toString()).put("kind", kind).put("channel", channel)
        .put("memberId", memberId == null ? null : memberId.toString()).put("payload", payload).toBuffer();
  }

  /** @throws IllegalArgumentException for a body that is not one of ours (a poison message) */
  public static NotificationMessage parse(byte[] body) {
    try {
      JsonObject json = new JsonObject(Buffer.buffer(body));
      String member = json.getString("memberId");
      NotificationMessage message = new NotificationMessage(UUID.fromString(json.getString("notificationId")),
          json.getString("kind"), json.getString("channel"), member == null ? null : UUID.fromString(member),
          json.getJsonObject("payload", new JsonObject()));
      if (message.kind() == null || message.channel() == null) {
        throw new IllegalArgumentException("kind and channel are required");
      }
      return message;
    } catch (DecodeException | ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("not a notification message: " + e.getMessage(), e);
    }
  }
}
