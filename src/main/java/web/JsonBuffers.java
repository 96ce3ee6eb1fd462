package web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.EncodeException;

import java.io.IOException;
import java.io.OutputStream;

/** Encodes a {@link JsonBody} into a Buffer. */
final class JsonBuffers {

  /** One factory for the node: its generators take their scratch buffers from its pool. */
  private static final JsonFactory FACTORY = new JsonFactory();
  /** An event is about 500 bytes. */
  private static final int INITIAL_BYTES = 512;

  private JsonBuffers() {
  }

  static Buffer encode(JsonBody body) {
    Buffer buffer = Buffer.buffer(INITIAL_BYTES);
    try (JsonGenerator out = FACTORY.createGenerator(new Into(buffer))) {
      body.writeJson(out);
    } catch (IOException e) {
      throw new EncodeException("cannot encode the response: " + e.getMessage(), e);
    }
    return buffer;
  }

  /** The generator fills its own scratch buffer and hands it here when it closes (or per 8 kB of a long page). */
  private static final class Into extends OutputStream {
    private final Buffer buffer;

    Into(Buffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public void write(int b) {
      buffer.appendByte((byte) b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      buffer.appendBytes(bytes, offset, length);
    }
  }
}
