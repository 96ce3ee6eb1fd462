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
    String next = null;
    if (rows.size() > limit) {
      T last = rows.get(limit - 1);
      next = new Cursor(key.apply(last), id.apply(last)).encode();
    }
    return new JsonObject().put("items", items).put("nextCursor", next);
  }
}
