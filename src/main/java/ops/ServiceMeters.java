package ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

/**
 * The node's Prometheus registry, set up before Vert.x registers a meter in it: the HTTP server's response times
 * get the fixed buckets below (so a dashboard can take p50/p99 by route without Micrometer's ~70 default buckets
 * per route, method and code); the open file descriptors, which Vert.x's JVM metrics leave out, are bound; the
 * two JVM meters counted in other units than seconds are replaced or dropped.
 */
public final class ServiceMeters {

  /** Upper bounds of every latency histogram of the service (HTTP routes, bookings, the coalescer's queue). */
  public static final Duration[] LATENCY_BUCKETS = Arrays.stream(
      new long[] {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000}).mapToObj(Duration::ofMillis)
      .toArray(Duration[]::new);

  private static final String HTTP_SERVER_RESPONSE_TIME = "vertx.http.server.response.time";
  private static final Set<String> NOT_IN_BASE_UNITS = Set.of("process.cpu.time", "jvm.compilation.time");

  private ServiceMeters() {
  }

  public static PrometheusMeterRegistry registry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(latencyBuckets(HTTP_SERVER_RESPONSE_TIME))
        // counted in ns and ms (process_cpu_time_ns_total, jvm_compilation_time_ms_total): Prometheus wants seconds
        .meterFilter(MeterFilter.deny(id -> NOT_IN_BASE_UNITS.contains(id.getName())));
    new FileDescriptorMetrics().bindTo(registry);
    processCpuSeconds(registry);
    return registry;
  }

  /** {@code process_cpu_seconds_total}, the name Prometheus' own clients give the process's CPU time. */
  private static void processCpuSeconds(PrometheusMeterRegistry registry) {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9).baseUnit("seconds")
          .description("CPU time used by the process").register(registry);
    }
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
