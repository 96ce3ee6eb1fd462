package cron;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

/**
 * A unit of scheduled work, run by a task worker for one job run. It must be safe to run twice (a retry,
 * or two runs of an "allow" job): tasks make their effects idempotent in the database.
 */
public interface Task {

  /** The name jobs refer to (cron_jobs.task_name). */
  String name();

  /** The default payload when a job gives none. */
  default JsonObject defaults() {
    return new JsonObject();
  }

  /** @return a short summary for the run's log */
  Future<String> run(TaskContext context);

  /** What a task gets to work with. */
  interface TaskContext {
    Pool pool();

    /** The job's payload over the task's defaults. */
    JsonObject payload();

    /** Writes a line to task_logs for this run (best effort, never fails the task). */
    void log(String message);
  }
}
