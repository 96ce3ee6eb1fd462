package logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import net.logstash.logback.composite.AbstractJsonProvider;

import java.io.IOException;

/**
 * {@code request_id}, {@code trace_id} and {@code span_id} of a JSON line: the request id from the current Vert.x
 * context, the others from OpenTelemetry's current span; each left out when there is none. Read while the line is
 * encoded, so the appender must run on the logging thread (a plain ConsoleAppender does; an AsyncAppender would
 * read another thread's context).
 */
public final class CorrelationJsonProvider extends AbstractJsonProvider<ILoggingEvent> {

  public static final String REQUEST_ID = "request_id";
  public static final String TRACE_ID = "trace_id";
  public static final String SPAN_ID = "span_id";

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    String requestId = LogContext.requestId();
    if (requestId != null) {
      generator.writeStringField(REQUEST_ID, requestId);
    }
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      generator.writeStringField(TRACE_ID, span.getTraceId());
      generator.writeStringField(SPAN_ID, span.getSpanId());
    }
  }
}
