package webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Webhook meters (Prometheus: roster_webhook_deliveries_total{endpoint,outcome},
 * roster_webhook_delivery_duration_seconds, roster_webhook_endpoints_disabled_total{reason}; and, for what the
 * broker lost or refused: roster_webhook_sweeper_republished_total, roster_webhook_dead_lettered_total,
 * roster_webhook_poison_total, roster_webhook_dlq_depth, roster_webhook_parked_depth). {@code endpoint} is the
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
  private final Counter republished;
  private final Counter deadLettered;
  private final Counter poison;
  /** The dead-letter and parked depths: one pair per registry, as a gauge keeps the first value it was given. */
  private final AtomicLong[] depths;
  private static final Map<MeterRegistry, AtomicLong[]> DEPTHS = java.util.Collections.synchronizedMap(
      new java.util.WeakHashMap<>());

  /** @param registry null when metrics are off: the meters then go to a registry nobody reads */
  public WebhookMetrics(MeterRegistry registry) {
    this.registry = registry != null ? registry : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    this.duration = Timer.builder("roster.webhook.delivery.duration")
        .description("Time of one webhook attempt, from resolving the host to the end of the answer")
        .register(this.registry);
    // at 0 from the start, so the alert on disabled endpoints sees "none" rather than "no data"
    for (String reason : java.util.List.of("gone", "failing")) {
      disabledCounter(reason);
    }
    republished = Counter.builder("roster.webhook.sweeper.republished")
        .description("Webhook deliveries whose attempt was overdue, queued again by the webhook sweeper")
        .register(this.registry);
    deadLettered = Counter.builder("roster.webhook.dead.lettered")
        .description("Webhook messages the broker dead-lettered, recorded as failed deliveries").register(this.registry);
    poison = Counter.builder("roster.webhook.poison")
        .description("Unreadable webhook messages moved to the parked queue").register(this.registry);
    depths = DEPTHS.computeIfAbsent(this.registry, r -> {
      AtomicLong[] pair = {new AtomicLong(), new AtomicLong()};
      Gauge.builder("roster.webhook.dlq.depth", pair[0], AtomicLong::get)
          .description("Messages in the webhook dead-letter queue (not yet recorded as failed deliveries)")
          .register(r);
      Gauge.builder("roster.webhook.parked.depth", pair[1], AtomicLong::get)
          .description("Unreadable webhook messages kept in the parked queue").register(r);
      return pair;
    });
  }

  public void republished(int deliveries) {
    republished.increment(deliveries);
  }

  public void deadLettered() {
    deadLettered.increment();
  }

  public void poison() {
    poison.increment();
  }

  /** The depths of the dead-letter and parked queues, as last read from the broker. */
  public void depths(long deadLetters, long parked) {
    depths[0].set(deadLetters);
    depths[1].set(parked);
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
