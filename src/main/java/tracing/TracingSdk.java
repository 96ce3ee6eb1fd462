package tracing;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import config.ConfigException;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;

import java.util.Map;
import java.util.Set;

/**
 * The OpenTelemetry SDK, configured the standard way (OTEL_* variables or otel.* system properties), or none.
 * Tracing is off, with no SDK and no per-request cost, unless an OTLP endpoint is configured; OTEL_SDK_DISABLED=true
 * turns it off whatever else is set. Only traces are exported: metrics stay on Prometheus, logs on stdout.
 */
public final class TracingSdk {

  /**
   * The OpenTelemetry variables the service documents (README, Tracing): the manifests may set these, and a
   * misspelt one (which would leave tracing silently off) fails their tests.
   */
  public static final Set<String> VARIABLES = Set.of(
      "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
      "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
      "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
      "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_CERTIFICATE",
      "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_PROPAGATORS",
      "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
      "OTEL_BSP_EXPORT_TIMEOUT");

  private TracingSdk() {
  }

  /** The SDK the process's environment asks for, or null when tracing is off. */
  public static OpenTelemetrySdk fromEnvironment() {
    return wanted(System.getenv()) ? build() : null;
  }

  /** Whether these variables (or the JVM's otel.* system properties) turn tracing on. */
  static boolean wanted(Map<String, String> env) {
    if ("true".equalsIgnoreCase(setting(env, "OTEL_SDK_DISABLED"))) {
      return false;
    }
    return !setting(env, "OTEL_EXPORTER_OTLP_ENDPOINT").isBlank()
        || !setting(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").isBlank();
  }

  private static String setting(Map<String, String> env, String variable) {
    String property = System.getProperty(variable.toLowerCase().replace('_', '.'));
    if (property != null) {
      return property;
    }
    String value = env.get(variable);
    return value == null ? "" : value;
  }

  private static OpenTelemetrySdk build() {
    try {
      return configured();
    } catch (ConfigurationException e) {
      throw new ConfigException("tracing (OTEL_* settings): " + e.getMessage());
    }
  }

  private static OpenTelemetrySdk configured() {
    return AutoConfiguredOpenTelemetrySdk.builder()
        // defaults the OTEL_* variables override: the service's name, and OTLP over HTTP (the exporter sends with
        // the JDK's HTTP client, which speaks no gRPC)
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "roster",
            "otel.exporter.otlp.protocol", "http/protobuf"))
        // never overridden: metrics are scraped by Prometheus, logs go to stdout
        .addPropertiesCustomizer(config -> Map.of(
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .build()
        .getOpenTelemetrySdk();
  }
}
