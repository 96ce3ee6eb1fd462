package tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import logging.LogContext;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Each received message is handled on a fresh duplicated Vert.x context of the consumer's event loop, holding
 * its request id and (tracing on) its CONSUMER span, child of the span in its {@code traceparent} header. Nothing
 * set while handling one message is seen by the next, and the SQL, HTTP and SMTP spans of the handling nest
 * under the message's span.
 */
public final class MessageContexts {

  private MessageContexts() {
  }

  /**
   * Runs {@code handler} for one message on its own context; the span ends when the handler's future does.
   *
   * @param queue where the message came from (names the span)
   */
  public static void dispatch(Context consumer, String queue, Map<String, Object> headers,
                              Supplier<Future<?>> handler) {
    ContextInternal own = ((ContextInternal) consumer).unwrap().duplicate();
    own.runOnContext(v -> {
      TraceStamp stamp = MessageHeaders.read(headers);
      if (stamp.requestId() != null) {
        LogContext.setRequestId(stamp.requestId()); // a fresh context holds none: nothing to clear otherwise
      }
      Tracing tracing = Tracing.of(own.owner());
      if (!tracing.enabled()) {
        handler.get();
        return;
      }
      Span span = tracing.messaging("process", "process", queue, SpanKind.CONSUMER, stamp).startSpan();
      Scope scope = span.makeCurrent();
      Future<?> done;
      try {
        done = handler.get();
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      done.onComplete(result -> {
        if (result.failed()) {
          span.setStatus(StatusCode.ERROR, String.valueOf(result.cause().getMessage()));
        }
        span.end();
        scope.close();
      });
    });
  }
}
