package notifications;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.Cursor;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** SQL of the notification pipeline: claiming outbox rows, delivery records, and what a message needs. */
public final class NotificationRepository {

  /**
   * An unpublished outbox row with the channels its member chose (empty when it concerns no member), and the
   * trace context of the work that wrote it.
   */
  public record OutboxRow(UUID id, String kind, JsonObject payload, List<String> channels, tracing.TraceStamp trace) {
  }

  /** Everything a template and a channel need to reach one member about one event. */
  public record Recipient(String name, String email, String phone, String pushToken, String eventTitle,
                          OffsetDateTime eventStartsAt, String eventLocation) {
  }

  /** A delivery as the API shows it. */
  public record Delivery(UUID id, UUID notificationId, String channel, String kind, UUID memberId, JsonObject payload,
                         String status, int attempts, String lastError, OffsetDateTime createdAt,
                         OffsetDateTime updatedAt, OffsetDateTime sentAt) {
    static Delivery from(Row r) {
      return new Delivery(r.getUUID("id"), r.getUUID("notification_id"), r.getString("channel"), r.getString("kind"),
          r.getUUID("member_id"), (JsonObject) r.getValue("payload"), r.getString("status"), r.getInteger("attempts"),
          r.getString("last_error"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"),
          r.getOffsetDateTime("sent_at"));
    }
  }

  private static final String DELIVERY_COLUMNS = "id, notification_id, channel, kind, member_id, payload, status, "
      + "attempts, last_error, created_at, updated_at, sent_at";

  /**
   * Locks a batch of unpublished rows, oldest first; rows another relay holds are skipped, so relays on
   * several nodes share the work and never publish the same row in the normal case. Call in a transaction.
   * A payload may name one {@code onlyChannel} (a manual retry): then only that channel is used.
   */
  public Future<List<OutboxRow>> claimUnpublished(SqlClient tx, int batch) {
    return tx.preparedQuery("SELECT o.id, o.kind, o.payload, o.traceparent, o.request_id, "
            + "CASE WHEN o.payload ? 'onlyChannel' THEN ARRAY[o.payload->>'onlyChannel'] ELSE m.channels END AS channels "
            + "FROM outbox o LEFT JOIN members m ON m.id = (o.payload->>'memberId')::uuid "
            + "WHERE o.published_at IS NULL ORDER BY o.created_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED")
        .execute(Tuple.of(batch))
        .map(rows -> {
          List<OutboxRow> out = new ArrayList<>();
          rows.forEach(r -> {
            String[] channels = r.getArrayOfStrings("channels");
            out.add(new OutboxRow(r.getUUID("id"), r.getString("kind"), (JsonObject) r.getValue("payload"),
                channels == null ? List.of() : Arrays.asList(channels),
                tracing.TraceStamp.of(r.getString("traceparent"), r.getString("request_id"))));
          });
          return out;
        });
  }

  public Future<Void> markPublished(SqlClient tx, List<UUID> ids) {
    return tx.preparedQuery("UPDATE outbox SET published_at = now() WHERE id = ANY($1)")
        .execute(Tuple.of(ids.toArray(new UUID[0])))
        .mapEmpty();
  }

  /** Unpublished rows and the age in seconds of the oldest, for the backlog gauges. */
  public Future<long[]> backlog(SqlClient db) {
    return db.query("SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::bigint AS age "
            + "FROM outbox WHERE published_at IS NULL")
        .execute()
        .map(rows -> {
          Row r = rows.iterator().next();
          return new long[] {r.getLong("n"), r.getLong("age")};
        });
  }

  /** The outcome of trying to take a delivery for sending. */
  public enum Claim { CLAIMED, SENT, FAILED, BUSY }

  /**
   * Takes the delivery of a message for sending, for {@code leaseMs}: new and pending deliveries can be
   * taken, and so can one whose holder's lease ran out (a worker that died mid-send). A delivery held by a
   * live lease is BUSY: another copy of the message is being sent right now.
   */
  public Future<Claim> claim(SqlClient db, NotificationMessage m, long leaseMs) {
    return db.preparedQuery("INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, "
            + "status, lease_until) VALUES ($1, $2, $3, $4, $5, 'sending', now() + make_interval(secs => $6)) "
            + "ON CONFLICT ON CONSTRAINT notification_deliveries_once DO UPDATE SET status = 'sending', "
            + "lease_until = EXCLUDED.lease_until, updated_at = now() "
            + "WHERE notification_deliveries.status = 'pending' OR (notification_deliveries.status = 'sending' "
            + "AND notification_deliveries.lease_until < now()) RETURNING 1")
        .execute(Tuple.of(m.notificationId(), m.channel(), m.kind(), m.memberId(), m.payload(), leaseMs / 1000.0))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(Claim.CLAIMED)
            : db.preparedQuery("SELECT status FROM notification_deliveries WHERE notification_id = $1 AND channel = $2")
                .execute(Tuple.of(m.notificationId(), m.channel()))
                .map(existing -> switch (existing.size() == 0 ? "sending" : existing.iterator().next().getString("status")) {
                  case "sent" -> Claim.SENT;
                  case "failed" -> Claim.FAILED;
                  default -> Claim.BUSY;
                }));
  }

  public Future<Void> markSent(SqlClient db, NotificationMessage m) {
    return db.preparedQuery("UPDATE notification_deliveries SET status = 'sent', attempts = attempts + 1, "
            + "last_error = NULL, lease_until = NULL, sent_at = now(), updated_at = now() "
            + "WHERE notification_id = $1 AND channel = $2")
        .execute(Tuple.of(m.notificationId(), m.channel()))
        .mapEmpty();
  }

  /** A failed try that will be retried. */
  public Future<Void> markRetrying(SqlClient db, NotificationMessage m, String error) {
    return db.preparedQuery("UPDATE notification_deliveries SET status = 'pending', attempts = attempts + 1, "
            + "last_error = $3, lease_until = NULL, updated_at = now() WHERE notification_id = $1 AND channel = $2")
        .execute(Tuple.of(m.notificationId(), m.channel(), error))
        .mapEmpty();
  }

  public Future<Void> markFailed(SqlClient db, NotificationMessage m, String error) {
    return db.preparedQuery("UPDATE notification_deliveries SET status = 'failed', attempts = attempts + 1, "
            + "last_error = $3, lease_until = NULL, updated_at = now() WHERE notification_id = $1 AND channel = $2")
        .execute(Tuple.of(m.notificationId(), m.channel(), error))
        .mapEmpty();
  }

  /**
   * Deliveries of a channel a member got (or is getting) in the last hour, besides this message's: what the
   * hourly caps count. Two workers counting at the same instant may each let one more through.
   */
  public Future<Long> sentInLastHour(SqlClient db, NotificationMessage m) {
    return db.preparedQuery("SELECT count(*) FROM notification_deliveries WHERE member_id = $1 AND channel = $2 "
            + "AND status IN ('sent', 'sending') AND updated_at > now() - interval '1 hour' AND notification_id <> $3")
        .execute(Tuple.of(m.memberId(), m.channel(), m.notificationId()))
        .map(rows -> rows.iterator().next().getLong(0));
  }

  public Future<Recipient> recipient(SqlClient db, UUID memberId, UUID eventId) {
    return db.preparedQuery("SELECT m.name, m.email, m.phone, m.push_token, e.title, e.starts_at, e.location "
            + "FROM members m LEFT JOIN events e ON e.id = $2 WHERE m.id = $1")
        .execute(Tuple.of(memberId, eventId))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          return new Recipient(r.getString("name"), r.getString("email"), r.getString("phone"), r.getString("push_token"),
              r.getString("title"), r.getOffsetDateTime("starts_at"), r.getString("location"));
        });
  }

  public Future<List<Delivery>> list(SqlClient db, String status, Cursor after, int fetch) {
    return db.preparedQuery("SELECT " + DELIVERY_COLUMNS + " FROM notification_deliveries "
            + "WHERE ($1::text IS NULL OR status = $1) AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) "
            + "ORDER BY created_at, id LIMIT $4")
        .execute(Tuple.tuple().addString(status).addOffsetDateTime(after == null ? null : after.key())
            .addUUID(after == null ? null : after.id()).addInteger(fetch))
        .map(rows -> {
          List<Delivery> out = new ArrayList<>();
          rows.forEach(r -> out.add(Delivery.from(r)));
          return out;
        });
  }

  /**
   * Puts a failed delivery back to pending and queues it again through the outbox, for its channel only.
   * @return the delivery, or null when there is none; its status tells whether it was failed
   */
  public Future<Delivery> requeueFailed(SqlClient tx, UUID id) {
    return tx.preparedQuery("WITH d AS (UPDATE notification_deliveries SET status = 'pending', attempts = 0, "
            + "last_error = NULL, updated_at = now() WHERE id = $1 AND status = 'failed' RETURNING *), "
            + "o AS (INSERT INTO outbox (id, kind, payload) SELECT gen_random_uuid(), d.kind, "
            + "d.payload || jsonb_build_object('memberId', d.member_id, 'onlyChannel', d.channel, "
            + "'notificationId', d.notification_id) FROM d) "
            + "SELECT " + DELIVERY_COLUMNS + " FROM d")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : Delivery.from(rows.iterator().next()));
  }

  public Future<Delivery> findDelivery(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + DELIVERY_COLUMNS + " FROM notification_deliveries WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : Delivery.from(rows.iterator().next()));
  }
}
