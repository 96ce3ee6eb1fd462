package tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import logging.LogContext;

/**
 * What work carries to the work it causes: the span it ran in and its request id. Stored with an outbox row
 * (columns traceparent and request_id) and sent as AMQP headers, so a notification or a task run continues the
 * trace of the request or claim that wrote it. Empty when tracing is off and there is no request id.
 */
public record TraceStamp(SpanContext span, String requestId) {

  public static final TraceStamp NONE = new TraceStamp(SpanContext.getInvalid(), null);

  /** The span and request id of the code running now. */
  public static TraceStamp current() {
    return new TraceStamp(Span.current().getSpanContext(), LogContext.requestId());
  }

  /** From stored or received values; an unreadable traceparent is ignored. */
  public static TraceStamp of(String traceparent, String requestId) {
    return new TraceStamp(parse(traceparent), requestId);
  }

  /** The request id alone: what a node with tracing off passes on (never another node's traceparent). */
  public TraceStamp withoutSpan() {
    return new TraceStamp(SpanContext.getInvalid(), requestId);
  }

  /** W3C {@code traceparent}, or null when there is no valid span. */
  public String traceparent() {
    if (!span.isValid()) {
      return null;
    }
    return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
  }

  /** The OpenTelemetry context whose parent is this stamp's span (the root context without one). */
  Context asParent() {
    return span.isValid() ? Context.root().with(Span.wrap(span)) : Context.root();
  }

  /** Version 00 of W3C trace context: {@code 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>}. */
  static SpanContext parse(String traceparent) {
    if (traceparent == null || traceparent.length() != 55 || !traceparent.startsWith("00-")
        || traceparent.charAt(35) != '-' || traceparent.charAt(52) != '-') {
      return SpanContext.getInvalid();
    }
    String flags = traceparent.substring(53);
    if (!isHex(flags)) {
      return SpanContext.getInvalid();
    }
    // createFromRemoteParent validates the ids (hex, not all zero) and answers an invalid context otherwise
    return SpanContext.createFromRemoteParent(traceparent.substring(3, 35), traceparent.substring(36, 52),
        TraceFlags.fromByte((byte) Integer.parseInt(flags, 16)), TraceState.getDefault());
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
