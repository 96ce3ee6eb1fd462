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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /** An ON CONFLICT condition: the existing delivery is one nobody works on (pending, or sending past its lease). */
  private static final String UNHELD = "notification_deliveries.status = 'pending' OR "
      + "(notification_deliveries.status = 'sending' AND notification_deliveries.lease_until < now())";

  /**
   * A CTE that queues the deliveries of CTE {@code d} again through the outbox, one channel each, under their own
   * notification id (the relay publishes them as it does every outbox row).
   */
  private static final String REPUBLISH_D = "o AS (INSERT INTO outbox (id, kind, payload) SELECT gen_random_uuid(), "
      + "d.kind, d.payload || jsonb_build_object('memberId', d.member_id, 'onlyChannel', d.channel, "
      + "'notificationId', d.notification_id) FROM d)";

  private static final String DELIVERY_COLUMNS = "id, notification_id, channel, kind, member_id, payload, status, "
      + "attempts, last_error, created_at, updated_at, sent_at";

  /**
   * Claims a batch of unpublished rows, oldest first, for {@code leaseMs}: one statement, so the row locks last
   * only while it runs. Rows under another relay's live lease are skipped (and rows another relay is claiming
   * right now: SKIP LOCKED), so relays on several nodes share the work; rows whose lease ran out are claimable
   * again. A payload may name one {@code onlyChannel} (a manual retry): then only that channel is used.
   */
  public Future<List<OutboxRow>> claimUnpublished(SqlClient db, int batch, long leaseMs) {
    return db.preparedQuery("WITH picked AS (SELECT id FROM outbox WHERE published_at IS NULL "
            + "AND (claimed_until IS NULL OR claimed_until <= now()) ORDER BY created_at, id LIMIT $1 "
            + "FOR UPDATE SKIP LOCKED), "
            + "claimed AS (UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2) FROM picked "
            + "WHERE o.id = picked.id RETURNING o.id, o.kind, o.payload, o.traceparent, o.request_id, o.created_at) "
            + "SELECT c.id, c.kind, c.payload, c.traceparent, c.request_id, "
            + "CASE WHEN c.payload ? 'onlyChannel' THEN ARRAY[c.payload->>'onlyChannel'] ELSE m.channels END AS channels "
            + "FROM claimed c LEFT JOIN members m ON m.id = (c.payload->>'memberId')::uuid ORDER BY c.created_at, c.id")
        .execute(Tuple.of(batch, leaseMs / 1000.0))
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

  /** Gives claimed rows back at once (their publish failed), so the next try need not wait for the lease. */
  public Future<Void> releaseClaim(SqlClient db, List<UUID> ids) {
    return db.preparedQuery("UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1) AND published_at IS NULL")
        .execute(Tuple.of(ids.toArray(new UUID[0])))
        .mapEmpty();
  }

  /**
   * Marks outbox rows published and, in the same statement, records a {@code pending} delivery due now for each
   * notification message that went out, so the database knows an attempt is under way even if the broker loses
   * the message (see {@link #republishOverdue}). An existing delivery is left as it is, except that a pending one
   * (a manual or sweeper re-publish) is due again from now.
   */
  public Future<Void> markPublished(SqlClient tx, List<OutboxRow> rows, List<NotificationMessage> messages) {
    Map<String, NotificationMessage> once = new LinkedHashMap<>();
    // two re-publishes of one delivery may share a batch; ON CONFLICT may touch a row only once per statement
    messages.forEach(m -> once.putIfAbsent(m.notificationId() + "/" + m.channel(), m));
    List<NotificationMessage> deliveries = List.copyOf(once.values());
    return tx.preparedQuery("WITH published AS (UPDATE outbox SET published_at = now() WHERE id = ANY($1)) "
            + "INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, status, "
            + "next_attempt_at) SELECT d.notification_id, d.channel, d.kind, d.member_id, d.payload::jsonb, 'pending', "
            + "now() FROM unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[]) "
            + "AS d(notification_id, channel, kind, member_id, payload) "
            + "ON CONFLICT ON CONSTRAINT notification_deliveries_once DO UPDATE SET next_attempt_at = now() "
            + "WHERE notification_deliveries.status = 'pending'")
        .execute(Tuple.of(rows.stream().map(OutboxRow::id).toArray(UUID[]::new),
            deliveries.stream().map(NotificationMessage::notificationId).toArray(UUID[]::new),
            deliveries.stream().map(NotificationMessage::channel).toArray(String[]::new),
            deliveries.stream().map(NotificationMessage::kind).toArray(String[]::new),
            deliveries.stream().map(NotificationMessage::memberId).toArray(UUID[]::new),
            deliveries.stream().map(m -> m.payload().encode()).toArray(String[]::new)))
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
    // a sending delivery is due again when its lease ends: the sweeper finds one whose worker died
    return db.preparedQuery("INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, "
            + "status, lease_until, next_attempt_at) VALUES ($1, $2, $3, $4, $5, 'sending', "
            + "now() + make_interval(secs => $6), now() + make_interval(secs => $6)) "
            + "ON CONFLICT ON CONSTRAINT notification_deliveries_once DO UPDATE SET status = 'sending', "
            + "lease_until = EXCLUDED.lease_until, next_attempt_at = EXCLUDED.next_attempt_at, updated_at = now() "
            + "WHERE " + UNHELD + " RETURNING 1")
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
            + "last_error = NULL, lease_until = NULL, next_attempt_at = NULL, sent_at = now(), updated_at = now() "
            // a second write of the same outcome (its first went unanswered, yet applied) changes nothing
            + "WHERE notification_id = $1 AND channel = $2 AND status <> 'sent'")
        .execute(Tuple.of(m.notificationId(), m.channel()))
        .mapEmpty();
  }

  /** A failed try that will be retried after {@code delayMs} (when its message comes back from a delay queue). */
  public Future<Void> markRetrying(SqlClient db, NotificationMessage m, String error, long delayMs) {
    return db.preparedQuery("UPDATE notification_deliveries SET status = 'pending', attempts = attempts + 1, "
            + "last_error = $3, lease_until = NULL, next_attempt_at = now() + make_interval(secs => $4), "
            + "updated_at = now() WHERE notification_id = $1 AND channel = $2")
        .execute(Tuple.of(m.notificationId(), m.channel(), error, delayMs / 1000.0))
        .mapEmpty();
  }

  public Future<Void> markFailed(SqlClient db, NotificationMessage m, String error) {
    return db.preparedQuery("UPDATE notification_deliveries SET status = 'failed', attempts = attempts + 1, "
            + "last_error = $3, lease_until = NULL, next_attempt_at = NULL, updated_at = now() "
            + "WHERE notification_id = $1 AND channel = $2")
        .execute(Tuple.of(m.notificationId(), m.channel(), error))
        .mapEmpty();
  }

  /**
   * A message the broker dead-lettered becomes a failed delivery, so ops see it and can retry it: a new row, or
   * one nobody is working on (pending, or sending past its lease). A sent or failed delivery is left alone, and so
   * is one a worker holds right now (its outcome will be recorded).
   * @return whether the delivery is now failed because of this dead letter
   */
  public Future<Boolean> markDeadLettered(SqlClient db, NotificationMessage m, String error) {
    return db.preparedQuery("INSERT INTO notification_deliveries (notification_id, channel, kind, member_id, payload, "
            + "status, last_error) VALUES ($1, $2, $3, $4, $5, 'failed', $6) "
            + "ON CONFLICT ON CONSTRAINT notification_deliveries_once DO UPDATE SET status = 'failed', "
            + "last_error = EXCLUDED.last_error, lease_until = NULL, next_attempt_at = NULL, updated_at = now() "
            + "WHERE " + UNHELD)
        .execute(Tuple.of(m.notificationId(), m.channel(), m.kind(), m.memberId(), m.payload(), error))
        .map(rows -> rows.rowCount() == 1);
  }

  /**
   * The delivery sweeper's step (on the scheduler leader, in its fenced transaction): deliveries whose next
   * attempt is overdue by more than {@code graceMs} (a pending one whose message never came back, a sending one
   * whose worker's lease ran out) are queued again through the outbox, for their channel only, and made due
   * {@code graceMs} later, so the next sweeps leave them alone while the re-published message travels. Rows
   * another sweeper holds are skipped. A delivery recorded sent meanwhile is not sent again: the worker's
   * claim finds it sent.
   * @return the channel of each delivery queued again
   */
  public Future<List<String>> republishOverdue(SqlClient tx, long graceMs, int batch) {
    return tx.preparedQuery("WITH due AS (SELECT id FROM notification_deliveries WHERE status IN ('pending', 'sending') "
            + "AND next_attempt_at < now() - make_interval(secs => $1) ORDER BY next_attempt_at LIMIT $2 "
            + "FOR UPDATE SKIP LOCKED), "
            + "d AS (UPDATE notification_deliveries n SET next_attempt_at = now() + make_interval(secs => $1) "
            + "FROM due WHERE n.id = due.id RETURNING n.*), "
            + REPUBLISH_D + " SELECT channel FROM d")
        .execute(Tuple.of(graceMs / 1000.0, batch))
        .map(rows -> {
          List<String> channels = new ArrayList<>();
          rows.forEach(r -> channels.add(r.getString("channel")));
          return channels;
        });
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

  /**
   * A page of deliveries in (created_at, id) order. Two statements, so that each reads its page straight from an
   * index (an optional filter written "$1 IS NULL OR status = $1" got a cached plan that read every delivery): all
   * of them from notification_deliveries_page, those of one status ($4) from notification_deliveries_status_page.
   * No cursor reads from the smallest key.
   */
  private static final String PAGE = "(created_at, id) > (COALESCE($1::timestamptz, '-infinity'), "
      + "COALESCE($2::uuid, '00000000-0000-0000-0000-000000000000')) ORDER BY created_at, id LIMIT $3";
  private static final String LIST = "SELECT " + DELIVERY_COLUMNS + " FROM notification_deliveries WHERE " + PAGE;
  private static final String LIST_BY_STATUS = "SELECT " + DELIVERY_COLUMNS + " FROM notification_deliveries "
      + "WHERE status = $4 AND " + PAGE;

  public Future<List<Delivery>> list(SqlClient db, String status, Cursor after, int fetch) {
    Tuple params = Tuple.tuple().addOffsetDateTime(after == null ? null : after.key())
        .addUUID(after == null ? null : after.id()).addInteger(fetch);
    return db.preparedQuery(status == null ? LIST : LIST_BY_STATUS)
        .execute(status == null ? params : params.addString(status))
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
            + "last_error = NULL, next_attempt_at = now(), updated_at = now() WHERE id = $1 AND status = 'failed' "
            + "RETURNING *), " + REPUBLISH_D + " SELECT " + DELIVERY_COLUMNS + " FROM d")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : Delivery.from(rows.iterator().next()));
  }

  public Future<Delivery> findDelivery(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + DELIVERY_COLUMNS + " FROM notification_deliveries WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : Delivery.from(rows.iterator().next()));
  }
}
