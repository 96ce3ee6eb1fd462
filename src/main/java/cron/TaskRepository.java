package cron;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/** SQL of the built-in maintenance tasks (reminders, purging). */
public final class TaskRepository {

  /**
   * Queues one {@code event.reminder} per confirmed booking of a scheduled event starting within the window.
   * The reminders_sent key makes it once per booking however often (or concurrently) this runs.
   * @return reminders queued now
   */
  public Future<Integer> queueReminders(SqlClient db, int windowMinutes) {
    return db.preparedQuery("WITH due AS (SELECT b.id AS booking_id, b.member_id, b.event_id FROM bookings b "
            + "JOIN events e ON e.id = b.event_id WHERE b.status = 'confirmed' AND e.status = 'scheduled' "
            + "AND e.starts_at > now() AND e.starts_at <= now() + make_interval(mins => $1)), "
            + "marked AS (INSERT INTO reminders_sent (booking_id, kind) SELECT booking_id, 'event.reminder' FROM due "
            + "ON CONFLICT DO NOTHING RETURNING booking_id), "
            + "queued AS (INSERT INTO outbox (kind, payload) SELECT 'event.reminder', jsonb_build_object("
            + "'bookingId', d.booking_id, 'eventId', d.event_id, 'memberId', d.member_id) "
            + "FROM due d JOIN marked m ON m.booking_id = d.booking_id RETURNING 1) "
            + "SELECT count(*) AS n FROM queued")
        .execute(Tuple.of(windowMinutes))
        .map(rows -> rows.iterator().next().getLong("n").intValue());
  }

  public Future<Integer> purgeIdempotencyKeys(SqlClient db) {
    return db.query("DELETE FROM idempotency_keys WHERE expires_at < now()").execute().map(r -> r.rowCount());
  }

  public Future<Integer> purgePublishedOutbox(SqlClient db, int retentionDays) {
    return db.preparedQuery("DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)")
        .execute(Tuple.of(retentionDays)).map(r -> r.rowCount());
  }

  /**
   * Sent and failed deliveries (they hold who was notified and the provider's last answer) once both their
   * creation and their last change are older than the retention; pending ones are still being delivered.
   */
  public Future<Integer> purgeFinishedDeliveries(SqlClient db, int retentionDays) {
    // notification and webhook deliveries alike: finished ones are kept for the retention, then go
    return db.preparedQuery("WITH n AS (DELETE FROM notification_deliveries WHERE status IN ('sent', 'failed') "
            + "AND created_at < now() - make_interval(days => $1) AND updated_at < now() - make_interval(days => $1) "
            + "RETURNING 1), "
            + "w AS (DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') "
            + "AND created_at < now() - make_interval(days => $1) AND updated_at < now() - make_interval(days => $1) "
            + "RETURNING 1) "
            + "SELECT (SELECT count(*) FROM n) + (SELECT count(*) FROM w) AS purged")
        .execute(Tuple.of(retentionDays)).map(r -> r.iterator().next().getLong("purged").intValue());
  }

  public Future<Integer> purgeFinishedRuns(SqlClient db, int retentionDays) {
    return db.preparedQuery("DELETE FROM job_runs WHERE finished_at < now() - make_interval(days => $1)")
        .execute(Tuple.of(retentionDays)).map(r -> r.rowCount());
  }
}
