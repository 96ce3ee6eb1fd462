package webhooks;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader duty: finds webhook deliveries whose next attempt is overdue by more than a grace, because the broker
 * lost their message (the webhook queue or a delay queue purged, a node lost with a queue that was not replicated)
 * or because the worker sending one died past its lease, and queues each again through the outbox (same message
 * id, that endpoint only): the relay publishes it, so this needs no broker. Runs on the scheduler leader only, in
 * the leader's fenced transaction. Idempotent with the worker's claim: a delivery that succeeded (or failed) is
 * never taken, and a copy that arrives once its delivery is done is only acknowledged. The grace must be longer
 * than a message normally waits in the webhook queue: one queued again while it was only slow costs a message,
 * not a second POST.
 */
public final class WebhookSweeper {

  private static final Logger log = LoggerFactory.getLogger(WebhookSweeper.class);
  /** Deliveries queued again per sweep at most; a full batch leaves the rest to the next sweep. */
  static final int BATCH = 500;

  private final WebhookRepository repository;
  private final WebhookMetrics metrics;
  private final long graceMs;

  public WebhookSweeper(WebhookRepository repository, WebhookMetrics metrics, long graceMs) {
    this.repository = repository;
    this.metrics = metrics;
    this.graceMs = graceMs;
  }

  /** One sweep, on the leader's transaction; answers how many deliveries it queued again. */
  public Future<Integer> sweep(SqlConnection tx) {
    return repository.republishOverdue(tx, graceMs, BATCH).map(endpoints -> {
      if (!endpoints.isEmpty()) {
        metrics.republished(endpoints.size());
        log.warn("webhook sweeper: {} delivery(ies) overdue by more than {} ms were queued again", endpoints.size(),
            graceMs);
      }
      return endpoints.size();
    });
  }
}
