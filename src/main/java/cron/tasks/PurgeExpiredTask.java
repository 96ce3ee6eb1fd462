package cron.tasks;

import cron.Task;
import cron.TaskPayload;
import cron.TaskRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Expired idempotency keys, and published outbox rows, finished notification and webhook deliveries and finished
 * runs older than the retention.
 */
public final class PurgeExpiredTask implements Task {

  private final TaskRepository repository;
  private final int retentionDays;

  public PurgeExpiredTask(TaskRepository repository, int retentionDays) {
    this.repository = repository;
    this.retentionDays = retentionDays;
  }

  @Override
  public String name() {
    return "purge_expired";
  }

  @Override
  public JsonObject defaults() {
    return new JsonObject().put("retentionDays", retentionDays);
  }

  @Override
  public Future<String> run(TaskContext context) {
    int days;
    try {
      days = TaskPayload.read(context.payload(), TaskPayload.RETENTION_DAYS, retentionDays).intValue();
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return repository.purgeIdempotencyKeys(context.pool())
        .compose(keys -> repository.purgePublishedOutbox(context.pool(), days)
            .compose(outbox -> repository.purgeFinishedDeliveries(context.pool(), days)
                .compose(deliveries -> repository.purgeFinishedRuns(context.pool(), days)
                    .map(runs -> {
                      String summary = "purged " + keys + " idempotency key(s), " + outbox + " outbox row(s), "
                          + deliveries + " delivery(ies), " + runs + " run(s) older than " + days + " day(s)";
                      context.log(summary);
                      return summary;
                    }))));
  }
}
