package bookings;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import web.ApiError;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Keyset position in a roster, which is ordered by group (seat holders, then the waitlist) and arrival: the
 * group and arrival sequence of the last entry returned. Opaque to clients (base64url JSON), like {@code web.Cursor}.
 */
public record RosterCursor(int group, long seq) {

  /** Before the first entry. */
  public static final RosterCursor START = new RosterCursor(-1, 0);

  public String encode() {
    String json = new JsonObject().put("g", group).put("s", seq).encode();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  /** @return the cursor, {@link #START} when none was given; a malformed one is a 400 on field {@code cursor}. */
  public static RosterCursor decode(String text) {
    if (text == null) {
      return START;
    }
    try {
      JsonObject json = new JsonObject(new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8));
      int group = json.getInteger("g");
      long seq = json.getLong("s");
      if (group < 0 || group > 1 || seq < 0) {
        throw new IllegalArgumentException("out of range");
      }
      return new RosterCursor(group, seq);
    } catch (IllegalArgumentException | DecodeException | NullPointerException | ClassCastException e) {
      throw ApiError.invalid("cursor", "is not a cursor this service issued");
    }
  }
}
