package tracing;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** When tracing is on, and how trace context is written and read. */
class TracingSdkTest {

  @Test
  void onlyAnOtlpEndpointTurnsTracingOnAndDisabledWins() {
    assertThat(TracingSdk.wanted(Map.of())).isFalse();
    assertThat(TracingSdk.wanted(Map.of("OTEL_SERVICE_NAME", "roster", "OTEL_TRACES_SAMPLER_ARG", "0.1"))).isFalse();
    assertThat(TracingSdk.wanted(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"))).isTrue();
    assertThat(TracingSdk.wanted(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")))
        .isTrue();
    assertThat(TracingSdk.wanted(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
        "OTEL_SDK_DISABLED", "true"))).isFalse();
  }

  @Test
  void aTraceparentIsWrittenAndReadBack() {
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    TraceStamp stamp = TraceStamp.of(traceparent, "req-1");
    assertThat(stamp.span().isValid()).isTrue();
    assertThat(stamp.span().isSampled()).isTrue();
    assertThat(stamp.traceparent()).isEqualTo(traceparent);
    assertThat(TraceStamp.of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", null).span().isSampled())
        .isFalse();
    for (String bad : new String[] {null, "", "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-zz", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}) {
      assertThat(TraceStamp.of(bad, null).traceparent()).as(bad).isNull();
    }
    assertThat(TraceStamp.NONE.traceparent()).isNull();
  }
}
