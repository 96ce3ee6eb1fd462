package webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Webhook meters (Prometheus: roster_webhook_deliveries_total, roster_webhook_delivery_duration_seconds,
 * roster_webhook_endpoints_disabled_total). Labels take a fixed set of values only (never an endpoint id or URL: endpoints are created
 * through the API, so their number is unbounded): {@code outcome} is succeeded, retrying, failed, refused (the
 * URL's address is not allowed), deferred (the endpoint had its concurrency in flight, or another attempt
 * of the message was under way) or dropped (the endpoint
 * is disabled or deleted); {@code reason} of a
 * disabled endpoint is gone (410) or failing (days of failures).
 */
public final class WebhookMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer duration;

  public WebhookMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.duration = Timer.builder("roster.webhook.delivery.duration")
        .description("Time of one webhook attempt, from resolving the host to the end of the answer")
        .register(registry);
  }

  public void outcome(String outcome) {
    counters.computeIfAbsent("outcome|" + outcome, k -> Counter.builder("roster.webhook.deliveries")
        .description("Webhook delivery attempts by outcome").tag("outcome", outcome).register(registry)).increment();
  }

  public void disabled(String reason) {
    counters.computeIfAbsent("disabled|" + reason, k -> Counter.builder("roster.webhook.endpoints.disabled")
        .description("Webhook endpoints the service disabled, by reason").tag("reason", reason).register(registry))
        .increment();
  }

  public void attempt(long nanos) {
    duration.record(nanos, TimeUnit.NANOSECONDS);
  }
}
