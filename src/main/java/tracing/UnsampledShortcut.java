package tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.sqlclient.impl.tracing.QueryRequest;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import io.vertx.tracing.opentelemetry.Operation;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Vert.x's OpenTelemetry tracer, minus the work nobody will see. With one trace in ten sampled, nine requests in
 * ten are not recorded, yet Vert.x extracts every tag of each of their SQL statements (and of their responses)
 * before the SDK drops the span. When the sampler drops every child of an unsampled parent (the parent-based
 * samplers, checked once at start), a client span under an unsampled span is skipped here: no tags, no span; the
 * trace context (flagged unsampled) is still passed on to an HTTP call. When the sampler decides without looking at
 * attributes (the SDK's own samplers), a server span starts without its request tags, and gets them only if it is
 * recorded. An unrecorded server span ends without its response tags. Sampled requests are traced exactly as before.
 */
final class UnsampledShortcut implements VertxTracerFactory {

  /** What {@link Tracer#sendRequest} answers for a skipped span: {@code receiveResponse} then has nothing to do. */
  private static final Object SKIPPED = new Object();
  private static final TextMapSetter<BiConsumer<String, String>> SETTER = (headers, key, value) -> {
    if (headers != null) {
      headers.accept(key, value);
    }
  };

  /** What the SDK's own samplers call themselves: decisions by trace id and parent, never by attributes. */
  private static final Pattern ATTRIBUTE_BLIND = Pattern.compile("AlwaysOnSampler|AlwaysOffSampler"
      + "|TraceIdRatioBased\\{[0-9.]+}");
  private static final String PARENT_BASED_BLIND = "ParentBased{root:_,remoteParentSampled:_,"
      + "remoteParentNotSampled:_,localParentSampled:_,localParentNotSampled:_}";

  private final OpenTelemetryTracingFactory vertxTracing;
  private final TextMapPropagator propagator;
  private final boolean dropsUnsampledChildren;
  private final boolean ignoresAttributes;

  UnsampledShortcut(OpenTelemetry openTelemetry) {
    this.vertxTracing = new OpenTelemetryTracingFactory(openTelemetry);
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    Sampler sampler = openTelemetry instanceof OpenTelemetrySdk sdk ? sdk.getSdkTracerProvider().getSampler() : null;
    this.dropsUnsampledChildren = sampler != null && dropsUnsampledChildren(sampler);
    this.ignoresAttributes = sampler != null && ignoresAttributes(sampler);
  }

  /**
   * Whether the sampler decides without the span's attributes: one of the SDK's own (always on or off, trace id
   * ratio), alone or as every rule of a parent-based sampler (what OTEL_TRACES_SAMPLER selects), known by their
   * descriptions. Anything else (jaeger_remote, a custom rule) may read them and keeps getting them at start.
   */
  static boolean ignoresAttributes(Sampler sampler) {
    String leaves = ATTRIBUTE_BLIND.matcher(sampler.getDescription()).replaceAll("_");
    return leaves.equals("_") || leaves.equals(PARENT_BASED_BLIND);
  }

  /**
   * Whether the sampler drops a span whose parent (local or remote) was not sampled, whatever the span: asked with
   * trace ids at both ends of the range a ratio sampler splits, so only a parent-based rule (or "off") passes.
   */
  static boolean dropsUnsampledChildren(Sampler sampler) {
    for (String traceId : new String[] {"0af7651916cd43dd0000000000000001", "0af7651916cd43dd7fffffffffffffff"}) {
      for (boolean remote : new boolean[] {false, true}) {
        String spanId = "b7ad6b7169203331";
        SpanContext parent = remote
            ? SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getDefault(), TraceState.getDefault())
            : SpanContext.create(traceId, spanId, TraceFlags.getDefault(), TraceState.getDefault());
        SamplingDecision decision = sampler.shouldSample(Context.root().with(Span.wrap(parent)), traceId, "probe",
            SpanKind.CLIENT, Attributes.empty(), List.of()).getDecision();
        if (decision != SamplingDecision.DROP) {
          return false;
        }
      }
    }
    return true;
  }

  // no init(VertxBootstrap) delegating to Vert.x's factory: the default init hands Vert.x this.tracer(options);
  // the wrapped factory's init would hand it the wrapped factory's own tracer, and this class would never run

  @Override
  public TracingOptions newOptions() {
    return vertxTracing.newOptions();
  }

  @Override
  public TracingOptions newOptions(io.vertx.core.json.JsonObject json) {
    return vertxTracing.newOptions(json);
  }

  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public VertxTracer tracer(TracingOptions options) {
    return new Tracer(vertxTracing.tracer(options));
  }

  private final class Tracer implements VertxTracer<Object, Object> {

    private final VertxTracer<Object, Object> traced;

    @SuppressWarnings("unchecked")
    Tracer(VertxTracer<?, ?> traced) {
      this.traced = (VertxTracer<Object, Object>) traced;
    }

    @Override
    public <R> Object receiveRequest(io.vertx.core.Context context, io.vertx.core.spi.tracing.SpanKind kind,
                                     TracingPolicy policy, R request, String operation,
                                     Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tagExtractor) {
      if (!ignoresAttributes) {
        return traced.receiveRequest(context, kind, policy, request, operation, headers, tagExtractor);
      }
      // the sampler does not need the tags to decide: nine requests in ten are not recorded and never build them
      Object payload = traced.receiveRequest(context, kind, policy, request, operation, headers, TagExtractor.empty());
      if (payload instanceof Operation op && op.span().isRecording()) {
        Span span = op.span();
        int count = tagExtractor.len(request);
        for (int i = 0; i < count; i++) {
          span.setAttribute(tagExtractor.name(request, i), tagExtractor.value(request, i));
        }
      }
      return payload;
    }

    @Override
    public <R> void sendResponse(io.vertx.core.Context context, R response, Object payload, Throwable failure,
                                 TagExtractor<R> tagExtractor) {
      boolean unrecorded = payload instanceof Operation op && !op.span().isRecording();
      traced.sendResponse(context, response, payload, failure, unrecorded ? TagExtractor.empty() : tagExtractor);
    }

    @Override
    public <R> Object sendRequest(io.vertx.core.Context context, io.vertx.core.spi.tracing.SpanKind kind,
                                  TracingPolicy policy, R request, String operation, BiConsumer<String, String> headers,
                                  TagExtractor<R> tagExtractor) {
      // the trace context is read from the running Vert.x context: only when that is the request's own
      if (dropsUnsampledChildren && policy != TracingPolicy.IGNORE && context == ContextInternal.current()) {
        Context current = Context.current();
        SpanContext parent = Span.fromContext(current).getSpanContext();
        if (parent.isValid() && !parent.isSampled()) {
          // the SDK would drop this span: pass the (unsampled) trace context on, and nothing else; a SQL statement
          // has nowhere to carry it (the client's header consumer drops it), so its traceparent is not even written
          if (!(request instanceof QueryRequest)) {
            propagator.inject(current, headers, SETTER);
          }
          return SKIPPED;
        }
      }
      return traced.sendRequest(context, kind, policy, request, operation, headers, tagExtractor);
    }

    @Override
    public <R> void receiveResponse(io.vertx.core.Context context, R response, Object payload, Throwable failure,
                                    TagExtractor<R> tagExtractor) {
      if (payload != SKIPPED) {
        traced.receiveResponse(context, response, payload, failure, tagExtractor);
      }
    }

    @Override
    public void close() {
      traced.close();
    }
  }
}
