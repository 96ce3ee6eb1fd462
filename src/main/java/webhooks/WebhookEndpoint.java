package webhooks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** A partner's endpoint: where to POST which event types, and the secrets that sign them. */
public record WebhookEndpoint(UUID id, String url, String description, List<String> eventTypes, boolean enabled,
                              String disabledReason, WebhookSecret secret, WebhookSecret previousSecret,
                              OffsetDateTime previousSecretUntil, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static WebhookEndpoint from(Row r) {
    String previous = r.getString("previous_secret");
    return new WebhookEndpoint(r.getUUID("id"), r.getString("url"), r.getString("description"),
        Arrays.asList(r.getArrayOfStrings("event_types")), r.getBoolean("enabled"), r.getString("disabled_reason"),
        new WebhookSecret(r.getString("secret")), previous == null ? null : new WebhookSecret(previous),
        r.getOffsetDateTime("previous_secret_until"), r.getOffsetDateTime("created_at"),
        r.getOffsetDateTime("updated_at"));
  }

  /** The secrets a message signed now carries: the current one, and the previous one during the overlap. */
  public List<WebhookSecret> signingSecrets(OffsetDateTime now) {
    return previousSecret != null && previousSecretUntil != null && now.isBefore(previousSecretUntil)
        ? List.of(secret, previousSecret) : List.of(secret);
  }

  /** The API's view: never the secret (shown once, by {@link #withSecret}). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("url", url)
        .put("description", description)
        .put("eventTypes", new JsonArray(eventTypes))
        .put("enabled", enabled)
        .put("disabledReason", disabledReason)
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }

  /** The answer to a creation or a rotation: the only time the secret is shown. */
  public JsonObject withSecret() {
    return toJson().put("secret", secret.text());
  }
}
