package tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The relay's PRODUCER spans of one confirmed batch: one per message, child of the span that wrote its outbox row,
 * from the publish to the broker's confirm. Not thread-safe: one batch, one worker thread.
 */
public final class PublishSpans {

  private final Tracing tracing;
  private final List<Span> spans = new ArrayList<>();

  public PublishSpans(Tracing tracing) {
    this.tracing = tracing;
  }

  /**
   * Starts the span of one message and answers its headers: the row's request id, and (tracing on, and the row
   * written in a trace) the traceparent of this publish. Null when there is nothing to send.
   */
  public Map<String, Object> headers(TraceStamp row, String exchange, String routingKey, String messageId) {
    if (!tracing.enabled() || !row.span().isValid()) {
      return MessageHeaders.with(null, row.withoutSpan());
    }
    Span span = tracing.messaging("publish", "send", exchange, SpanKind.PRODUCER, row)
        .setAttribute("messaging.rabbitmq.destination.routing_key", routingKey)
        .setAttribute("messaging.message.id", messageId)
        .startSpan();
    spans.add(span);
    return MessageHeaders.with(null, new TraceStamp(span.getSpanContext(), row.requestId()));
  }

  /** Ends every span: confirmed, or failed with the batch. */
  public void end(Throwable failure) {
    for (Span span : spans) {
      if (failure != null) {
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
      }
      span.end();
    }
    spans.clear();
  }
}
