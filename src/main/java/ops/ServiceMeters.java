package ops;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Arrays;

/**
 * The node's Prometheus registry, set up before Vert.x registers a meter in it: the HTTP server's response times
 * get the fixed buckets below (so a dashboard can take p50/p99 by route without Micrometer's ~70 default buckets
 * per route, method and code), and the open file descriptors, which Vert.x's JVM metrics leave out, are bound.
 */
public final class ServiceMeters {

  /** Upper bounds of every latency histogram of the service (HTTP routes, bookings, the coalescer's queue). */
  public static final Duration[] LATENCY_BUCKETS = Arrays.stream(
      new long[] {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}).mapToObj(Duration::ofMillis)
      .toArray(Duration[]::new);

  private static final String HTTP_SERVER_RESPONSE_TIME = "vertx.http.server.response.time";

  private ServiceMeters() {
  }

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(latencyBuckets(HTTP_SERVER_RESPONSE_TIME));
    new FileDescriptorMetrics().bindTo(registry);
    return registry;
  }

  private static MeterFilter latencyBuckets(String name) {
    double[] nanos = Arrays.stream(LATENCY_BUCKETS).mapToDouble(Duration::toNanos).toArray();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return id.getName().equals(name)
            ? DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config)
            : config;
      }
    };
  }
}
