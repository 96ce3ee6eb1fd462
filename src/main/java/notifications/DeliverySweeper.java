package notifications;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;

/**
 * Finds deliveries whose next attempt is overdue by more than a grace, because the broker lost their message (a
 * delay queue purged by hand, a node lost with a queue that was not replicated, a dead letter dropped) or because
 * the worker holding one died, and queues them again through the outbox: the relay publishes them, so this needs
 * no broker. Runs on the scheduler leader only, in the leader's fenced transaction. The grace must be longer than
 * a message normally waits in a channel queue: a delivery queued again while its message was only slow is not
 * sent twice (the workers' claims see it sent), it only costs a message.
 */
public final class DeliverySweeper {

  /** Deliveries re-queued per sweep at most; a full batch leaves the rest to the next sweep. */
  static final int BATCH = 500;

  private final NotificationRepository repository;
  private final NotificationMetrics metrics;
  private final long graceMs;

  public DeliverySweeper(NotificationRepository repository, NotificationMetrics metrics, long graceMs) {
    this.repository = repository;
    this.metrics = metrics;
    this.graceMs = graceMs;
  }

  /** One sweep, on the leader's transaction; answers how many deliveries it queued again. */
  public Future<Integer> sweep(SqlConnection tx) {
    return repository.republishOverdue(tx, graceMs, BATCH).map(channels -> {
      channels.forEach(metrics::sweeperRepublished);
      return channels.size();
    });
  }
}
