package tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;
import support.RosterApp;
import support.TestTracing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * A request whose trace is not sampled costs no client span: the SDK is never even asked about its SQL statements,
 * and nothing of its trace is exported. A sampled request keeps every span, with the attributes Vert.x gives them.
 * The caller's {@code traceparent} decides (the SDK's parent-based sampler follows a remote parent's flag).
 */
class SampledTracesTest extends ApiTestBase {

  private static final List<String> SQL_ATTRIBUTES = List.of("db.namespace", "db.query.text", "db.system", "db.user",
      "network.peer.address", "span.kind");

  private final Asked sampler = new Asked();
  private final TestTracing tracing = new TestTracing(sampler);

  @Override
  protected RosterApp startApp(Map<String, String> settings) {
    return RosterApp.traced(db, issuer, settings, tracing.sdk());
  }

  @Test
  void anUnsampledRequestMakesNoClientSpan() throws InterruptedException {
    String eventId = createEvent(5, 0).getString("id");
    String trace = traceId();
    assertThat(book(member(), eventId, traceparent(trace, false)).status()).isEqualTo(201);
    Api.Res read = api.call("GET", "/v1/events/" + eventId).token(admin.token())
        .header("traceparent", traceparent(trace, false)).send();
    assertThat(read.status()).isEqualTo(200);

    assertThat(sampler.asked(trace)).as("spans the SDK was asked to sample").isNotEmpty()
        .noneMatch(s -> s.endsWith("[" + SpanKind.CLIENT + "]"));
    Thread.sleep(300); // a span would be exported when it ends, after the response
    assertThat(tracing.trace(trace)).isEmpty();
  }

  @Test
  void aSampledRequestHasItsServerAndSqlSpans() {
    String eventId = createEvent(5, 0).getString("id");
    Person member = member();
    String trace = traceId();
    assertThat(book(member, eventId, traceparent(trace, true)).status()).isEqualTo(201);

    SpanData server = waitFor(trace, "POST /v1/bookings");
    assertThat(server.getKind()).isEqualTo(SpanKind.SERVER);
    // Vert.x's request and response tags, and ours (RouteSpanName)
    assertThat(attributes(server)).containsExactlyInAnyOrderEntriesOf(Map.of("http.request.method", "POST",
        "http.route", "/v1/bookings", "url.path", "/v1/bookings", "url.scheme", "http",
        "http.response.status_code", "201", "http.url", app.baseUrl() + "/v1/bookings", "enduser.id", member.id()));

    String tree = tracing.tree(trace);
    List<SpanData> sql = tracing.trace(trace).stream().filter(s -> TestTracing.statement(s) != null).toList();
    assertThat(sql).as(tree).hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(s -> {
          assertThat(s.getName()).isEqualTo("Query");
          assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
          assertThat(attributes(s).keySet()).containsExactlyInAnyOrderElementsOf(SQL_ATTRIBUTES);
          assertThat(attributes(s)).contains(entry("db.system", "postgresql"), entry("span.kind", "client"));
          assertThat(tracing.descends(s, server)).isTrue();
        });
    // the caller's member record, read to authenticate, and the booking's write
    assertThat(sql).as(tree).anyMatch(s -> TestTracing.statement(s).contains("FROM members WHERE subject"))
        .anyMatch(s -> TestTracing.statement(s).contains("book_batch(")
            || TestTracing.statement(s).contains("INSERT INTO bookings"));
  }

  private Api.Res book(Person who, String eventId, String traceparent) {
    return api.call("POST", "/v1/bookings").token(who.token()).header("traceparent", traceparent)
        .json(new JsonObject().put("eventId", eventId)).send();
  }

  private SpanData waitFor(String trace, String name) {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (true) {
      List<SpanData> found = tracing.trace(trace).stream().filter(TestTracing.named(name)).toList();
      if (!found.isEmpty() || Instant.now().isAfter(deadline)) {
        assertThat(found).as(tracing.tree(trace)).hasSize(1);
        return found.get(0);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static Map<String, String> attributes(SpanData span) {
    Map<String, String> out = new java.util.TreeMap<>();
    span.getAttributes().forEach((key, value) -> out.put(key.getKey(), String.valueOf(value)));
    return out;
  }

  private static String traceId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return String.format("%016x%016x", random.nextLong() | 1, random.nextLong());
  }

  private static String traceparent(String traceId, boolean sampled) {
    String spanId = String.format("%016x", ThreadLocalRandom.current().nextLong() | 1);
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
  }

  /** The SDK's default sampler (parent-based, always on), remembering the spans it was asked about. */
  static final class Asked implements Sampler {
    private final Sampler delegate = Sampler.parentBased(Sampler.alwaysOn());
    private final List<String[]> asked = new CopyOnWriteArrayList<>();

    @Override
    public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind, Attributes attributes,
                                       List<LinkData> links) {
      asked.add(new String[] {traceId, name + " [" + kind + "]"});
      return delegate.shouldSample(parent, traceId, name, kind, attributes, links);
    }

    List<String> asked(String traceId) {
      return asked.stream().filter(a -> a[0].equals(traceId)).map(a -> a[1]).toList();
    }

    @Override
    public String getDescription() {
      // it decides as the SDK's sampler does, without attributes: the server span gets its tags once recorded
      return delegate.getDescription();
    }
  }
}
