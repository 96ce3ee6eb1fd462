package notifications;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notification pipeline metrics: published, delivered, failed and retried by channel, poison messages,
 * the outbox backlog and the age of its oldest row, and dead-letter queue depth by channel.
 */
public final class NotificationMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

  public NotificationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void published(String channel) {
    count("roster.notifications.published", channel, "Messages the relay published, by channel");
  }

  public void delivered(String channel) {
    count("roster.notifications.delivered", channel, "Notifications delivered, by channel");
  }

  public void failed(String channel) {
    count("roster.notifications.failed", channel, "Deliveries given up (permanent error or attempts exhausted)");
  }

  public void retried(String channel) {
    count("roster.notifications.retries", channel, "Deliveries scheduled for another try");
  }

  public void poison(String channel) {
    count("roster.notifications.poison", channel, "Unreadable messages sent to the dead-letter queue");
  }

  public void backlog(long rows, long oldestAgeSeconds) {
    gauge("roster.outbox.backlog", null, "Outbox rows not yet published").set(rows);
    gauge("roster.outbox.oldest.age.seconds", null, "Age of the oldest unpublished outbox row").set(oldestAgeSeconds);
  }

  public void deadLetters(String channel, long depth) {
    gauge("roster.notifications.dlq.depth", channel, "Messages in the dead-letter queue, by channel").set(depth);
  }

  private void count(String name, String channel, String description) {
    if (registry == null) {
      return;
    }
    counters.computeIfAbsent(name + "|" + channel, k -> Counter.builder(name).description(description)
        .tag("channel", channel).register(registry)).increment();
  }

  private AtomicLong gauge(String name, String channel, String description) {
    return gauges.computeIfAbsent(name + "|" + channel, k -> {
      AtomicLong value = new AtomicLong();
      if (registry != null) {
        Gauge.Builder<AtomicLong> builder = Gauge.builder(name, value, AtomicLong::get).description(description);
        if (channel != null) {
          builder.tag("channel", channel);
        }
        builder.register(registry);
      }
      return value;
    });
  }
}
