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

  private static final String[] PUBLISHED = {"roster.notifications.published", "Messages the relay published, by channel"};
  private static final String[] DELIVERED = {"roster.notifications.delivered", "Notifications delivered, by channel"};
  private static final String[] FAILED =
      {"roster.notifications.failed", "Deliveries given up (permanent error or attempts exhausted)"};
  private static final String[] RETRIES = {"roster.notifications.retries", "Deliveries scheduled for another try"};
  private static final String[] POISON =
      {"roster.notifications.poison", "Unreadable messages moved to the parked queue"};
  private static final String[] DEAD_LETTERED =
      {"roster.notifications.dead.lettered", "Messages the broker dead-lettered, recorded as failed deliveries"};
  private static final String[] SWEEPER_REPUBLISHED = {"roster.notification.sweeper.republished",
      "Deliveries whose attempt was overdue, queued again by the delivery sweeper"};
  private static final String[][] COUNTERS =
      {PUBLISHED, DELIVERED, FAILED, RETRIES, POISON, DEAD_LETTERED, SWEEPER_REPUBLISHED};

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

  public NotificationMetrics(MeterRegistry registry) {
    this.registry = registry;
    // every channel's counters from the start, at 0, so rates and alerts see "none" rather than "no data"
    if (registry != null) {
      for (String channel : Topology.CHANNELS) {
        for (String[] counter : COUNTERS) {
          counter(counter[0], channel, counter[1]);
        }
      }
    }
  }

  public void published(String channel) {
    count(PUBLISHED, channel);
  }

  public void delivered(String channel) {
    count(DELIVERED, channel);
  }

  public void failed(String channel) {
    count(FAILED, channel);
  }

  public void retried(String channel) {
    count(RETRIES, channel);
  }

  public void poison(String channel) {
    count(POISON, channel);
  }

  public void deadLettered(String channel) {
    count(DEAD_LETTERED, channel);
  }

  public void sweeperRepublished(String channel) {
    count(SWEEPER_REPUBLISHED, channel);
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

  private void count(String[] counter, String channel) {
    if (registry != null) {
      counter(counter[0], channel, counter[1]).increment();
    }
  }

  private Counter counter(String name, String channel, String description) {
    return counters.computeIfAbsent(name + "|" + channel, k -> Counter.builder(name).description(description)
        .tag("channel", channel).register(registry));
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
