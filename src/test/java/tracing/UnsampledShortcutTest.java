package tracing;

import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.junit.jupiter.api.Test;

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
}
