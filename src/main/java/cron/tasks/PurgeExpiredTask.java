package cron.tasks;

import cron.Task;
import cron.TaskRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** Expired idempotency keys, published outbox rows and finished runs older than the retention. */
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
    int days = context.payload().getInteger("retentionDays", retentionDays);
    return repository.purgeIdempotencyKeys(context.pool())
        .compose(keys -> repository.purgePublishedOutbox(context.pool(), days)
            .compose(outbox -> repository.purgeFinishedRuns(context.pool(), days)
                .map(runs -> {
                  String summary = "purged " + keys + " idempotency key(s), " + outbox + " outbox row(s), " + runs
                      + " run(s) older than " + days + " day(s)";
                  context.log(summary);
                  return summary;
                })));
  }
}
