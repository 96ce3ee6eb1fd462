package web;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * Keyset position of a page: the sort key and id of the last item returned. Opaque to clients
 * (base64url JSON), stable under inserts because the next page starts strictly after this key.
 */
public record Cursor(OffsetDateTime key, UUID id) {

  public String encode() {
    String json = new JsonObject().put("k", key.toString()).put("i", id.toString()).encode();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** @return the cursor, or null when none was given; a malformed one is a 400 on field {@code cursor}. */
  public static Cursor decode(String text) {
    if (text == null) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8));
      return new Cursor(OffsetDateTime.parse(json.getString("k")), UUID.fromString(json.getString("i")));
    } catch (IllegalArgumentException | DecodeException | DateTimeParseException | NullPointerException
             | ClassCastException e) {
      throw ApiError.invalid("cursor", "is not a cursor this service issued");
    }
  }
}
