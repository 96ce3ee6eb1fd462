package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/** One page of a list: the repository fetches limit + 1 rows so we know whether there is a next page. */
public final class Page {

  private Page() {
  }

  public static <T> JsonObject of(List<T> rows, int limit, Function<T, JsonObject> toJson,
                                  Function<T, OffsetDateTime> key, Function<T, UUID> id) {
    JsonArray items = new JsonArray();
    int n = Math.min(rows.size(), limit);
    for (int i = 0; i < n; i++) {
      items.add(toJson.apply(rows.get(i)));
    }
    return new JsonObject().put("items", items).put("nextCursor", nextCursor(rows, limit, key, id));
  }

  /** The same page as {@link #of}, written straight to the response by rows that write their own JSON. */
  public static <T extends JsonBody> JsonBody streamed(List<T> rows, int limit, Function<T, OffsetDateTime> key,
                                                       Function<T, UUID> id) {
    int n = Math.min(rows.size(), limit);
    String next = nextCursor(rows, limit, key, id);
    return out -> {
      out.writeStartObject();
      out.writeArrayFieldStart("items");
      for (int i = 0; i < n; i++) {
        rows.get(i).writeJson(out);
      }
      out.writeEndArray();
      out.writeStringField("nextCursor", next);
      out.writeEndObject();
    };
  }

  private static <T> String nextCursor(List<T> rows, int limit, Function<T, OffsetDateTime> key,
                                       Function<T, UUID> id) {
    if (rows.size() <= limit) {
      return null;
    }
    T last = rows.get(limit - 1);
    return new Cursor(key.apply(last), id.apply(last)).encode();
  }
}
