package webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Webhook meters (Prometheus: roster_webhook_deliveries_total{endpoint,outcome},
 * roster_webhook_delivery_duration_seconds, roster_webhook_endpoints_disabled_total{reason}). {@code endpoint} is the
 * endpoint's id (never its URL, whose path may hold the partner's token): admins create endpoints, a handful per
 * club, so one series per endpoint and outcome stays small; a deleted endpoint's series last until the worker
 * restarts. {@code outcome} is succeeded, retrying, failed, refused (the
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
    // at 0 from the start, so the alert on disabled endpoints sees "none" rather than "no data"
    for (String reason : java.util.List.of("gone", "failing")) {
      disabledCounter(reason);
    }
  }

  public void outcome(java.util.UUID endpoint, String outcome) {
    counters.computeIfAbsent(endpoint + "|" + outcome, k -> Counter.builder("roster.webhook.deliveries")
        .description("Webhook delivery attempts by endpoint and outcome").tag("endpoint", endpoint.toString())
        .tag("outcome", outcome).register(registry)).increment();
  }

  public void disabled(String reason) {
    disabledCounter(reason).increment();
  }

  private Counter disabledCounter(String reason) {
    return counters.computeIfAbsent("disabled|" + reason, k -> Counter.builder("roster.webhook.endpoints.disabled")
        .description("Webhook endpoints the service disabled, by reason").tag("reason", reason).register(registry));
  }

  public void attempt(long nanos) {
    duration.record(nanos, TimeUnit.NANOSECONDS);
  }
}
