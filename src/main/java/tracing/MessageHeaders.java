package tracing;

import java.util.HashMap;
import java.util.Map;

/**
 * The AMQP headers that carry a {@link TraceStamp}: W3C {@code traceparent} (only while tracing is on) and
 * {@code x-request-id}.
 */
public final class MessageHeaders {

  public static final String TRACEPARENT = "traceparent";
  public static final String REQUEST_ID = "x-request-id";

  private MessageHeaders() {
  }

  /**
   * The headers of a copy the current work republishes (a retry through a delay queue): {@code headers} plus the
   * current span and request id, so the next attempt continues this trace.
   */
  public static Map<String, Object> withCurrentTrace(Map<String, Object> headers) {
    return with(headers, TraceStamp.current());
  }

  /** {@code headers} plus the stamp's values; null when there is nothing to send. */
  static Map<String, Object> with(Map<String, Object> headers, TraceStamp stamp) {
    String traceparent = stamp.traceparent();
    if (traceparent == null && stamp.requestId() == null) {
      return headers;
    }
    Map<String, Object> out = headers == null ? new HashMap<>(4) : new HashMap<>(headers);
    if (traceparent != null) {
      out.put(TRACEPARENT, traceparent);
    }
    if (stamp.requestId() != null) {
      out.put(REQUEST_ID, stamp.requestId());
    }
    return out;
  }

  /** What a received message carries (header values arrive as the AMQP client's LongString). */
  static TraceStamp read(Map<String, Object> headers) {
    if (headers == null) {
      return TraceStamp.NONE;
    }
    Object traceparent = headers.get(TRACEPARENT);
    Object requestId = headers.get(REQUEST_ID);
    return TraceStamp.of(traceparent == null ? null : traceparent.toString(),
        requestId == null ? null : requestId.toString());
  }
}
