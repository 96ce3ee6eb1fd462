package cron;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import web.Json;

import java.time.OffsetDateTime;
import java.util.UUID;

public record JobRun(UUID id, UUID jobId, OffsetDateTime scheduledFor, String trigger, String status, String nodeId,
                     Long epoch, long latenessMs, OffsetDateTime startedAt, OffsetDateTime finishedAt, int attempts,
                     String error) {

  static final String COLUMNS = "id, job_id, scheduled_for, trigger, status, node_id, epoch, lateness_ms, started_at, "
      + "finished_at, attempts, error";

  static JobRun from(Row r) {
    return new JobRun(r.getUUID("id"), r.getUUID("job_id"), r.getOffsetDateTime("scheduled_for"),
        r.getString("trigger"), r.getString("status"), r.getString("node_id"), r.getLong("epoch"),
        r.getLong("lateness_ms"), r.getOffsetDateTime("started_at"), r.getOffsetDateTime("finished_at"),
        r.getInteger("attempts"), r.getString("error"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("jobId", jobId.toString())
        .put("scheduledFor", Json.time(scheduledFor))
        .put("trigger", trigger)
        .put("status", status)
        .put("nodeId", nodeId)
        .put("epoch", epoch)
        .put("latenessMs", latenessMs)
        .put("startedAt", Json.time(startedAt))
        .put("finishedAt", Json.time(finishedAt))
        .put("attempts", attempts)
        .put("error", error);
  }
}
