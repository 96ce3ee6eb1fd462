package logging;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import launcher.RosterLauncher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import support.LogCapture;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What a log shipper receives: one JSON object per line, with the request and the trace of the work logged. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogLinesTest {

  private static final Logger log = LoggerFactory.getLogger("logging.LogLinesTest");
  private Vertx vertx;

  @BeforeAll
  void start() {
    vertx = Vertx.builder().with(RosterLauncher.vertxOptions()).build();
  }

  @AfterAll
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aJsonLineHasTimestampLevelLoggerAndMessageAndNoRequestOutsideOne() {
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      log.warn("disk {} is {}% full", "/tmp", 91);

      JsonObject line = single(logs.jsonLines());
      assertThat(Instant.parse(line.getString("timestamp"))).isCloseTo(Instant.now(), within(1, ChronoUnit.MINUTES));
      assertThat(line.getString("timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
      assertThat(line.getString("level")).isEqualTo("WARN");
      assertThat(line.getString("logger")).isEqualTo("logging.LogLinesTest");
      assertThat(line.getString("message")).isEqualTo("disk /tmp is 91% full");
      assertThat(line.fieldNames()).doesNotContain("request_id", "trace_id", "span_id");
    }
  }

  @Test
  void aLineWrittenOnARequestsContextCarriesItsIdAndItsNeighboursDoNot() throws Exception {
    // two requests interleaved on one event loop: each duplicated context keeps its own id
    ContextInternal loop = (ContextInternal) vertx.getOrCreateContext();
    Context first = loop.duplicate();
    Context second = loop.duplicate();
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      on(first, () -> LogContext.setRequestId("req-first"));
      on(second, () -> LogContext.setRequestId("req-second"));
      on(first, () -> log.info("first"));
      on(second, () -> log.info("second"));
      on(loop, () -> log.info("the loop itself"));

      List<JsonObject> lines = logs.jsonLines();
      assertThat(lines).extracting(l -> l.getString("message") + "=" + l.getString("request_id"))
          .containsExactly("first=req-first", "second=req-second", "the loop itself=null");
    }
  }

  @Test
  void aLineWrittenWhileASpanIsCurrentCarriesItsTraceAndSpanIds() {
    // the SDK hands out a no-op tracer until something receives its spans
    try (SdkTracerProvider tracing = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(InMemorySpanExporter.create())).build();
         LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      Span span = tracing.get("test").spanBuilder("GET /v1/events").startSpan();
      try (Scope ignored = span.makeCurrent()) {
        log.info("inside");
      } finally {
        span.end();
      }
      log.info("outside");

      List<JsonObject> lines = logs.jsonLines();
      assertThat(lines.get(0).getString("trace_id")).isEqualTo(span.getSpanContext().getTraceId()).hasSize(32);
      assertThat(lines.get(0).getString("span_id")).isEqualTo(span.getSpanContext().getSpanId()).hasSize(16);
      assertThat(lines.get(1).fieldNames()).doesNotContain("trace_id", "span_id");
    }
  }

  @Test
  void aStackTraceAndKeyValuePairsAreFieldsOfTheSameLine() {
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      log.atError().addKeyValue("status", 500).setCause(new IllegalStateException("boom\nsecond line"))
          .log("failed");

      JsonObject line = single(logs.jsonLines());
      assertThat(line.getInteger("status")).isEqualTo(500);
      assertThat(line.getString("stack_trace")).startsWith("java.lang.IllegalStateException: boom\nsecond line");
    }
  }

  @Test
  void aTextLineShowsTheRequestIdBriefly() throws Exception {
    Context request = ((ContextInternal) vertx.getOrCreateContext()).duplicate();
    try (LogCapture logs = LogCapture.encoded(LogFormat.TEXT)) {
      on(request, () -> {
        LogContext.setRequestId("abc123");
        log.info("booked");
      });
      log.info("idle");

      assertThat(logs.output().lines().toList()).satisfiesExactly(
          l -> assertThat(l).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[.+] l\\.LogLinesTest req=abc123 - booked"),
          l -> assertThat(l).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[.+] l\\.LogLinesTest - idle"));
    }
  }

  @Test
  void theConsoleSwitchesToTheFormatTheConfigurationSettledOn() {
    ConsoleEncoder console = new ConsoleEncoder();
    console.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
    console.setFormat("text");
    console.start();
    ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(
        getClass().getName(), (ch.qos.logback.classic.Logger) log, ch.qos.logback.classic.Level.INFO, "started", null,
        null);

    assertThat(new String(console.encode(event), StandardCharsets.UTF_8)).endsWith("l.LogLinesTest - started\n");
    console.use(LogFormat.JSON);
    assertThat(new JsonObject(new String(console.encode(event), StandardCharsets.UTF_8)).getString("message"))
        .isEqualTo("started");
  }

  private static JsonObject single(List<JsonObject> lines) {
    assertThat(lines).hasSize(1);
    return lines.get(0);
  }

  private static void on(Context context, Runnable work) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        work.run();
        done.complete(null);
      } catch (Throwable t) {
        done.completeExceptionally(t);
      }
    });
    done.get(10, TimeUnit.SECONDS);
  }
}
