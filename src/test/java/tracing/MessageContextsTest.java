package tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import logging.LogContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import support.TestTracing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Messages handled back to back on one consumer's event loop never share a context, a span or a request id. */
class MessageContextsTest {

  private static final String FIRST = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final String SECOND = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private final TestTracing tracing = new TestTracing();
  private final Vertx vertx = Tracing.register(Tracing.tracedBy(Vertx.builder(), tracing.sdk()).build(), tracing.sdk());

  /** What a handler saw while running. */
  record Seen(Context context, SpanContext span, String requestId) {
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void eachMessageHasItsOwnContextSpanAndRequestId() throws Exception {
    Context consumer = vertx.getOrCreateContext();
    Promise<Void> firstStillRunning = Promise.promise();
    CompletableFuture<Seen> first = new CompletableFuture<>();
    CompletableFuture<Seen> second = new CompletableFuture<>();
    CompletableFuture<Seen> secondLater = new CompletableFuture<>();

    Map<String, Object> firstHeaders = new HashMap<>(Map.of(MessageHeaders.TRACEPARENT, FIRST,
        MessageHeaders.REQUEST_ID, "req-first"));
    MessageContexts.dispatch(consumer, "q", firstHeaders, () -> {
      first.complete(seen());
      return firstStillRunning.future(); // in flight while the next message is handled
    });
    MessageContexts.dispatch(consumer, "q", Map.of(MessageHeaders.TRACEPARENT, SECOND), () -> {
      second.complete(seen());
      Promise<Void> done = Promise.promise();
      // a later step of the same handling still sees its own message's span
      vertx.setTimer(20, t -> {
        secondLater.complete(seen());
        done.complete();
      });
      return done.future();
    });

    Seen a = first.get(10, TimeUnit.SECONDS);
    Seen b = second.get(10, TimeUnit.SECONDS);
    Seen bLater = secondLater.get(10, TimeUnit.SECONDS);
    assertThat(a.context()).isNotSameAs(b.context()).isNotSameAs(consumer);
    assertThat(a.span().getTraceId()).isEqualTo(FIRST.substring(3, 35));
    assertThat(a.requestId()).isEqualTo("req-first");
    assertThat(b.span().getTraceId()).isEqualTo(SECOND.substring(3, 35));
    assertThat(b.requestId()).as("the first message's request id must not leak").isNull();
    assertThat(bLater.span()).isEqualTo(b.span());
    assertThat(bLater.context()).isSameAs(b.context());

    vertx.runOnContext(v -> firstStillRunning.complete());
    TestTracingWait.until(() -> tracing.spans().size() == 2);
    List<SpanData> spans = tracing.spans();
    assertThat(spans).allMatch(s -> s.getKind() == SpanKind.CONSUMER && s.getName().equals("process q"));
    assertThat(spans).extracting(SpanData::getParentSpanId)
        .containsExactlyInAnyOrder(FIRST.substring(36, 52), SECOND.substring(36, 52));

    // the consumer's own context is left as it was
    CompletableFuture<Seen> after = new CompletableFuture<>();
    consumer.runOnContext(v -> after.complete(seen()));
    assertThat(after.get(10, TimeUnit.SECONDS).span().isValid()).isFalse();
    assertThat(after.get().requestId()).isNull();
  }

  private static Seen seen() {
    return new Seen(Vertx.currentContext(), Span.current().getSpanContext(), LogContext.requestId());
  }

  /** Polls briefly (span export is synchronous, but the span ends on the event loop). */
  static final class TestTracingWait {
    static void until(java.util.function.BooleanSupplier condition) throws InterruptedException {
      for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
        Thread.sleep(50);
      }
      assertThat(condition.getAsBoolean()).isTrue();
    }
  }
}
