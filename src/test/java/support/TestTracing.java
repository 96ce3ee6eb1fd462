package support;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** An OpenTelemetry SDK that keeps every finished span in memory, and the look-ups tests make in them. */
public final class TestTracing {

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk;

  /** Every span sampled (the SDK's default, parent-based always-on: a request that says unsampled stays so). */
  public TestTracing() {
    this(Sampler.parentBased(Sampler.alwaysOn()));
  }

  public TestTracing(Sampler sampler) {
    sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  public OpenTelemetrySdk sdk() {
    return sdk;
  }

  public List<SpanData> spans() {
    return exporter.getFinishedSpanItems();
  }

  public List<SpanData> spans(Predicate<SpanData> which) {
    return spans().stream().filter(which).toList();
  }

  public List<SpanData> trace(String traceId) {
    return spans(s -> s.getTraceId().equals(traceId));
  }

  public static Predicate<SpanData> named(String name) {
    return s -> s.getName().equals(name);
  }

  public static Predicate<SpanData> kind(SpanKind kind) {
    return s -> s.getKind() == kind;
  }

  /** A SQL statement's span (Vert.x's SQL client names the statement in db.query.text or db.statement). */
  public static String statement(SpanData span) {
    String text = span.getAttributes().asMap().entrySet().stream()
        .filter(e -> e.getKey().getKey().equals("db.query.text") || e.getKey().getKey().equals("db.statement"))
        .map(e -> String.valueOf(e.getValue())).findFirst().orElse(null);
    return text;
  }

  /** Is {@code ancestor} on the parent chain of {@code span} (within the spans exported so far)? */
  public boolean descends(SpanData span, SpanData ancestor) {
    Map<String, SpanData> byId = spans().stream()
        .collect(Collectors.toMap(SpanData::getSpanId, s -> s, (a, b) -> a));
    SpanData at = span;
    while (at != null && !at.getParentSpanId().equals(io.opentelemetry.api.trace.SpanId.getInvalid())) {
      if (at.getParentSpanId().equals(ancestor.getSpanId())) {
        return true;
      }
      at = byId.get(at.getParentSpanId());
    }
    return false;
  }

  /** The trace as an indented tree (for failure messages and reports). */
  public String tree(String traceId) {
    List<SpanData> all = trace(traceId).stream().sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
    StringBuilder out = new StringBuilder();
    all.stream().filter(s -> all.stream().noneMatch(p -> p.getSpanId().equals(s.getParentSpanId())))
        .forEach(root -> print(root, all, 0, out));
    return out.toString();
  }

  private void print(SpanData span, List<SpanData> all, int depth, StringBuilder out) {
    String sql = statement(span);
    out.append("  ".repeat(depth)).append(span.getName()).append(" [").append(span.getKind()).append(']')
        .append(sql == null ? "" : " " + (sql.length() > 60 ? sql.substring(0, 60) + "..." : sql))
        .append(span.getLinks().isEmpty() ? "" : " links=" + span.getLinks().size()).append('\n');
    all.stream().filter(s -> s.getParentSpanId().equals(span.getSpanId()))
        .forEach(child -> print(child, all, depth + 1, out));
  }
}
