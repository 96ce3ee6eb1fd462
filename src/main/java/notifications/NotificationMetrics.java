package notifications;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notification pipeline metrics: published, delivered, failed and retried by channel, poison messages, broker
 * dead letters recorded, sweeper re-publishes, the outbox backlog and the age of its oldest row, and the depth of
 * the dead-letter and parked queues by channel.
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
    count("roster.notifications.poison", channel, "Unreadable messages moved to the parked queue");
  }

  public void deadLettered(String channel) {
    count("roster.notifications.dead.lettered", channel,
        "Messages the broker dead-lettered, recorded as failed deliveries");
  }

  public void sweeperRepublished(String channel) {
    count("roster.notification.sweeper.republished", channel,
        "Deliveries whose attempt was overdue, queued again by the delivery sweeper");
  }

  public void parked(String channel, long depth) {
    gauge("roster.notifications.parked.depth", channel, "Unreadable messages kept in the parked queue").set(depth);
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
