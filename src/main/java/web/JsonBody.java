package web;

import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;

/**
 * An answer that writes its own JSON with Jackson's streaming generator, straight into the response's buffer: no
 * JsonObject tree (a map per object, a type switch per value) is built for the hot answers (an event, a booking, a
 * page of events). It must write the bytes the JsonObject it replaces would (same fields, same order, nulls written
 * out): JsonBodyTest compares them.
 */
@FunctionalInterface
public interface JsonBody {

  void writeJson(JsonGenerator out) throws IOException;

  default Buffer toBuffer() {
    return JsonBuffers.encode(this);
  }
}
