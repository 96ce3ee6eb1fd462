package cron.tasks;

import cron.Task;
import cron.TaskRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** A reminder notification for every confirmed booking of events starting within the window (default 24 h). */
public final class SendEventRemindersTask implements Task {

  private final TaskRepository repository;

  public SendEventRemindersTask(TaskRepository repository) {
    this.repository = repository;
  }

  @Override
  public String name() {
    return "send_event_reminders";
  }

  @Override
  public JsonObject defaults() {
    return new JsonObject().put("windowHours", 24);
  }

  @Override
  public Future<String> run(TaskContext context) {
    int windowMinutes = (int) Math.round(context.payload().getDouble("windowHours", 24.0) * 60);
    return repository.queueReminders(context.pool(), windowMinutes).map(n -> {
      String summary = n + " reminder(s) queued for events in the next " + windowMinutes / 60.0 + " h";
      context.log(summary);
      return summary;
    });
  }
}
