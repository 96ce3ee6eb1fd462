package members;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** A member, whole ({@link #toJson}) or as the summary of openapi.yaml's MemberSummary ({@link #toSummaryJson}). */
public record Member(UUID id, String email, String name, String phone, String role, String status, String subject,
                     List<String> channels, String pushToken, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static Member from(Row row) {
    return new Member(row.getUUID("id"), row.getString("email"), row.getString("name"), row.getString("phone"),
        row.getString("role"), row.getString("status"), row.getString("subject"),
        List.of(row.getArrayOfStrings("channels")), row.getString("push_token"),
        row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
  }

  /** What anyone who may see the member at all sees: no contact details, no token, no identity link. */
  public static JsonObject summaryJson(UUID id, String name, String status) {
    return new JsonObject().put("id", id.toString()).put("name", name).put("status", status);
  }

  public JsonObject toSummaryJson() {
    return summaryJson(id, name, status);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("email", email)
        .put("name", name)
        .put("phone", phone)
        .put("role", role)
        .put("status", status)
        .put("subject", subject)
        .put("channels", new JsonArray(channels))
        .put("pushToken", pushToken)
        .put("createdAt", Json.time(createdAt))
        .put("updatedAt", Json.time(updatedAt));
  }
}
