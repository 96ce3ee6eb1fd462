package tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.shareddata.Shareable;

/**
 * The tracing of one Vert.x instance: its OpenTelemetry (handed to Vert.x's tracer, so HTTP and SQL spans come
 * from Vert.x itself) and the tracer of the spans Roster makes (relay, workers, batches, scheduler). {@link #OFF}
 * when the instance was built without tracing: then nothing here makes a span or adds a header.
 */
public final class Tracing implements Shareable {

  public static final Tracing OFF = new Tracing(null);
  private static final String MAP = "roster.tracing";
  private static final long FLUSH_TIMEOUT_MS = 5000;

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;

  private Tracing(OpenTelemetry openTelemetry) {
    this.openTelemetry = openTelemetry;
    this.tracer = openTelemetry == null ? OpenTelemetry.noop().getTracer("roster")
        : openTelemetry.getTracer("roster");
  }

  /** Adds Vert.x's OpenTelemetry tracer to a builder, when there is an SDK (see {@link UnsampledShortcut}). */
  public static VertxBuilder tracedBy(VertxBuilder builder, OpenTelemetry openTelemetry) {
    return openTelemetry == null ? builder : builder.withTracer(new UnsampledShortcut(openTelemetry));
  }

  /** Remembers the SDK a Vert.x instance was built with (see {@link #tracedBy}), for {@link #of}. */
  public static Vertx register(Vertx vertx, OpenTelemetry openTelemetry) {
    if (openTelemetry != null) {
      vertx.sharedData().getLocalMap(MAP).put(MAP, new Tracing(openTelemetry));
    }
    return vertx;
  }

  public static Tracing of(Vertx vertx) {
    Object tracing = vertx.sharedData().getLocalMap(MAP).get(MAP);
    return tracing instanceof Tracing t ? t : OFF;
  }

  /** The tracing of the Vert.x instance running the caller (OFF outside Vert.x). */
  public static Tracing current() {
    ContextInternal context = ContextInternal.current();
    return context == null ? OFF : of(context.owner());
  }

  public boolean enabled() {
    return openTelemetry != null;
  }

  Tracer tracer() {
    return tracer;
  }

  /** A RabbitMQ span ({@code send} or {@code process}), named "operation destination" as messaging spans are. */
  SpanBuilder messaging(String name, String operation, String destination, SpanKind kind, TraceStamp parent) {
    return tracer.spanBuilder(name + " " + destination)
        .setParent(parent.asParent())
        .setSpanKind(kind)
        .setAttribute("messaging.system", "rabbitmq")
        .setAttribute("messaging.operation.type", operation)
        .setAttribute("messaging.destination.name", destination);
  }

  /** Exports what is buffered and stops the SDK (the shutdown sequence's last step); never fails. */
  public Future<Void> shutdown(Vertx vertx) {
    if (!(openTelemetry instanceof OpenTelemetrySdk sdk)) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    CompletableResultCode result = sdk.shutdown();
    result.whenComplete(done::tryComplete);
    // a collector that does not answer must not hold the exit (what it did not take is lost)
    long timer = vertx.setTimer(FLUSH_TIMEOUT_MS, t -> done.tryComplete());
    return done.future().onComplete(v -> vertx.cancelTimer(timer));
  }
}
