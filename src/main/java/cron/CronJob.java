package cron;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.UUID;

public record CronJob(UUID id, String taskName, String cronExpression, String timezone, JsonObject payload,
                      boolean enabled, String concurrency, String status, OffsetDateTime lastRun,
                      OffsetDateTime nextRun, OffsetDateTime createdAt) {

  static final String COLUMNS = "id, task_name, cron_expression, timezone, payload, enabled, concurrency, status, "
      + "last_run, next_run, created_at";

  static CronJob from(Row r) {
    return new CronJob(r.getUUID("id"), r.getString("task_name"), r.getString("cron_expression"),
        r.getString("timezone"), (JsonObject) r.getValue("payload"), r.getBoolean("enabled"),
        r.getString("concurrency"), r.getString("status"), r.getOffsetDateTime("last_run"),
        r.getOffsetDateTime("next_run"), r.getOffsetDateTime("created_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("taskName", taskName)
        .put("cronExpression", cronExpression)
        .put("timezone", timezone)
        .put("payload", payload)
        .put("enabled", enabled)
        .put("concurrency", concurrency)
        .put("status", status)
        .put("lastRun", Json.time(lastRun))
        .put("nextRun", Json.time(nextRun))
        .put("createdAt", Json.time(createdAt));
  }
}
