package tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;

import java.util.List;
import java.util.function.Supplier;

/** Spans around asynchronous work that Vert.x does not trace itself: a scheduler claim, a booking batch, SMTP. */
public final class Spans {

  private Spans() {
  }

  /**
   * Runs {@code work} as the first span of a new trace (a scheduled claim: nothing caused it), current on a fresh
   * duplicated context, so its SQL spans and the outbox rows it writes belong to that trace.
   */
  public static <T> Future<T> newTrace(String name, Supplier<Future<T>> work) {
    Tracing tracing = Tracing.current();
    if (!tracing.enabled()) {
      return work.get();
    }
    return runIn(tracing.tracer().spanBuilder(name).setNoParent().setSpanKind(SpanKind.INTERNAL), work);
  }

  /**
   * Runs a batch that decides many requests at once in its own span: a child of the first request's span (so a
   * lone request's trace holds its transaction), linked to every request's span.
   */
  public static <T> Future<T> batch(String name, List<TraceStamp> requests, Supplier<Future<T>> work) {
    Tracing tracing = Tracing.current();
    if (!tracing.enabled()) {
      return work.get();
    }
    SpanBuilder builder = tracing.tracer().spanBuilder(name).setSpanKind(SpanKind.INTERNAL)
        .setAttribute("roster.batch.size", (long) requests.size());
    boolean parented = false;
    for (TraceStamp request : requests) {
      if (request.span().isValid()) {
        if (!parented) {
          builder.setParent(request.asParent());
          parented = true;
        }
        builder.addLink(request.span());
      }
    }
    if (!parented) {
      builder.setNoParent();
    }
    return runIn(builder, work);
  }

  /** A CLIENT span around a call to a server Vert.x does not trace (SMTP), inside the current trace only. */
  public static <T> Future<T> client(String name, String protocol, String host, int port, Supplier<Future<T>> call) {
    Tracing tracing = Tracing.current();
    if (!tracing.enabled() || !Span.current().getSpanContext().isValid()) {
      return call.get();
    }
    Span span = tracing.tracer().spanBuilder(name).setSpanKind(SpanKind.CLIENT)
        .setAttribute("network.protocol.name", protocol)
        .setAttribute("server.address", host)
        .setAttribute("server.port", (long) port)
        .startSpan();
    return ended(span, call.get());
  }

  private static <T> Future<T> runIn(SpanBuilder builder, Supplier<Future<T>> work) {
    ContextInternal own = ContextInternal.current().unwrap().duplicate();
    Span span = builder.startSpan();
    Promise<T> result = Promise.promise();
    own.dispatch(v -> {
      // current until the work ends, not only while it is called: its later steps (the next statement of a
      // transaction) run on this context and must still find the span
      Scope scope = Context.root().with(span).makeCurrent();
      result.future().onComplete(done -> scope.close());
      try {
        work.get().onComplete(result);
      } catch (RuntimeException e) {
        result.tryFail(e);
      }
    });
    return ended(span, result.future());
  }

  private static <T> Future<T> ended(Span span, Future<T> work) {
    return work.onComplete(done -> {
      if (done.failed()) {
        span.setStatus(StatusCode.ERROR, String.valueOf(done.cause().getMessage()));
      }
      span.end();
    });
  }
}
