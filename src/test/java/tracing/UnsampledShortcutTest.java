package tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Client spans under an unsampled span are skipped only for samplers that would drop them anyway. */
class UnsampledShortcutTest {

  @Test
  void parentBasedSamplersDropTheChildrenOfUnsampledSpans() {
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.parentBased(Sampler.traceIdRatioBased(0.1)))).isTrue();
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.parentBased(Sampler.alwaysOn()))).isTrue();
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.alwaysOff())).isTrue();
  }

  @Test
  void samplersThatIgnoreTheParentKeepEveryClientSpan() {
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.alwaysOn())).isFalse();
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.traceIdRatioBased(0.1))).isFalse();
    assertThat(UnsampledShortcut.dropsUnsampledChildren(Sampler.traceIdRatioBased(0.9))).isFalse();
  }

  @Test
  void theSdksOwnSamplersDecideWithoutAttributes() {
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.parentBased(Sampler.traceIdRatioBased(0.1)))).isTrue();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.parentBased(Sampler.alwaysOn()))).isTrue();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.traceIdRatioBased(0.25))).isTrue();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.alwaysOff())).isTrue();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.parentBasedBuilder(Sampler.alwaysOn())
        .setRemoteParentNotSampled(Sampler.alwaysOn()).build())).isTrue();
  }

  @Test
  void anyOtherSamplerMayReadTheAttributes() {
    Sampler byRoute = new Sampler() {
      @Override
      public SamplingResult shouldSample(Context parent, String traceId, String name, SpanKind kind,
                                         Attributes attributes, List<LinkData> links) {
        return SamplingResult.create(attributes.get(AttributeKey.stringKey("url.path")) == null
            ? SamplingDecision.DROP : SamplingDecision.RECORD_AND_SAMPLE);
      }

      @Override
      public String getDescription() {
        return "ByRoute";
      }
    };
    assertThat(UnsampledShortcut.ignoresAttributes(byRoute)).isFalse();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.parentBased(byRoute))).isFalse();
    assertThat(UnsampledShortcut.ignoresAttributes(Sampler.parentBasedBuilder(Sampler.alwaysOn())
        .setLocalParentSampled(byRoute).build())).isFalse();
  }
}
