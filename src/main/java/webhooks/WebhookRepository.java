package webhooks;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.Cursor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/** SQL of webhooks: endpoints, and the delivery record of each message to each endpoint. */
public final class WebhookRepository {

  /**
   * A scalar subquery: the enabled endpoints subscribed to the event type {@code typeSql}, as a JSON array, or NULL
   * when there are none. Uncorrelated, so PostgreSQL runs it once per statement.
   */
  public static String subscribers(String typeSql) {
    return "(SELECT jsonb_agg(we.id) FROM webhook_endpoints we WHERE we.enabled AND " + typeSql
        + " = ANY(we.event_types))";
  }

  /**
   * A jsonb expression to append ({@code ||}) to an outbox row's payload: the webhook fields (the subscribed
   * endpoints, the type, the time and {@code dataSql}, the resource) when some enabled endpoint subscribes to
   * {@code typeSql}, else {} — so the subscription check is folded into the statement that writes the change's
   * outbox row, and the relay sends nothing when nobody listens.
   */
  public static String webhookFields(String typeSql, String dataSql) {
    String subscribed = subscribers(typeSql);
    return "CASE WHEN " + subscribed + " IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('webhooks', " + subscribed
        + ", 'webhookType', " + typeSql + ", 'webhookAt', now(), 'webhookData', " + dataSql + ") END";
  }

  /** An outbox row for webhooks only (a change no member is notified of), written when some endpoint listens. */
  public Future<Void> queue(SqlClient db, String type, JsonObject data) {
    return db.preparedQuery("INSERT INTO outbox (kind, payload) SELECT 'webhook', " + webhookFields("$1::text", "$2::jsonb")
            + " WHERE " + subscribers("$1::text") + " IS NOT NULL")
        .execute(Tuple.of(type, data))
        .mapEmpty();
  }

  private static final String ENDPOINT_COLUMNS = "id, url, description, event_types, enabled, disabled_reason, "
      + "secret, previous_secret, previous_secret_until, created_at, updated_at";
  private static final String DELIVERY_COLUMNS = "id, message_id, endpoint_id, event_type, status, attempts, "
      + "last_status_code, last_error, next_attempt_at, created_at, updated_at";

  /**
   * A CTE that queues the deliveries of CTE {@code d} (with their payload) again through the outbox: same message
   * id, their endpoint only. The relay publishes them as it does every outbox row.
   */
  private static final String REPUBLISH_D = "o AS (INSERT INTO outbox (kind, payload) SELECT 'webhook.redeliver', "
      + "jsonb_build_object('webhookMessage', d.payload, 'webhookMessageId', d.message_id, "
      + "'webhooks', jsonb_build_array(d.endpoint_id)) FROM d)";

  /** An ON CONFLICT condition: the existing delivery is one nobody works on (pending, or sending past its lease). */
  private static final String UNHELD = "webhook_deliveries.status = 'pending' OR "
      + "(webhook_deliveries.status = 'sending' AND webhook_deliveries.next_attempt_at < now())";

  public Future<WebhookEndpoint> insert(SqlClient db, String url, String description, List<String> types,
                                        WebhookSecret secret) {
    return db.preparedQuery("INSERT INTO webhook_endpoints (url, description, event_types, secret) "
            + "VALUES ($1, $2, $3, $4) RETURNING " + ENDPOINT_COLUMNS)
        .execute(Tuple.of(url, description, types.toArray(new String[0]), secret.text()))
        .map(rows -> WebhookEndpoint.from(rows.iterator().next()));
  }

  public Future<WebhookEndpoint> find(SqlClient db, UUID id) {
    return db.preparedQuery("SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> one(rows, WebhookEndpoint::from));
  }

  public Future<List<WebhookEndpoint>> list(SqlClient db, Cursor after, int fetch) {
    return db.preparedQuery("SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints "
            + "WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2)) ORDER BY created_at, id LIMIT $3")
        .execute(Tuple.tuple().addOffsetDateTime(after == null ? null : after.key())
            .addUUID(after == null ? null : after.id()).addInteger(fetch))
        .map(rows -> all(rows, WebhookEndpoint::from));
  }

  /** Changes the given fields (null: unchanged); enabling again clears the reason and the failure streak. */
  public Future<WebhookEndpoint> update(SqlClient db, UUID id, String url, String description, List<String> types,
                                        Boolean enabled) {
    return db.preparedQuery("UPDATE webhook_endpoints SET url = COALESCE($2, url), "
            + "description = COALESCE($3, description), event_types = COALESCE($4, event_types), "
            + "enabled = COALESCE($5, enabled), "
            + "disabled_reason = CASE WHEN $5 IS NULL THEN disabled_reason ELSE NULL END, "
            + "failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END, updated_at = now() "
            + "WHERE id = $1 RETURNING " + ENDPOINT_COLUMNS)
        .execute(Tuple.of(id, url, description, types == null ? null : types.toArray(new String[0]), enabled))
        .map(rows -> one(rows, WebhookEndpoint::from));
  }

  public Future<Boolean> delete(SqlClient db, UUID id) {
    return db.preparedQuery("DELETE FROM webhook_endpoints WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.rowCount() == 1);
  }

  /** A new secret; the current one keeps signing (beside it) for {@code overlapSeconds}. */
  public Future<WebhookEndpoint> rotate(SqlClient db, UUID id, WebhookSecret secret, long overlapSeconds) {
    return db.preparedQuery("UPDATE webhook_endpoints SET previous_secret = secret, secret = $2, "
            + "previous_secret_until = now() + make_interval(secs => $3), updated_at = now() "
            + "WHERE id = $1 RETURNING " + ENDPOINT_COLUMNS)
        .execute(Tuple.of(id, secret.text(), (double) overlapSeconds))
        .map(rows -> one(rows, WebhookEndpoint::from));
  }

  /** The outcome of taking a delivery for an attempt: the delivery, or why not (done, or held by a live attempt). */
  public record Claim(WebhookDelivery delivery, boolean busy) {
  }

  /**
   * Takes a message's delivery to an endpoint for an attempt (status sending, attempts + 1, due again when the
   * attempt must have ended), creating the row on the first one. Only a pending delivery can be taken, or one
   * whose attempt ran past its lease (its worker died); one that succeeded or failed is done, and one being sent
   * by a live attempt is busy.
   */
  public Future<Claim> claim(SqlClient db, UUID messageId, UUID endpointId, String type, JsonObject payload,
                             long leaseMs) {
    return db.preparedQuery("INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload, status, "
            + "attempts, next_attempt_at) VALUES ($1, $2, $3, $4, 'sending', 1, now() + make_interval(secs => $5)) "
            + "ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO UPDATE SET status = 'sending', "
            + "attempts = webhook_deliveries.attempts + 1, next_attempt_at = EXCLUDED.next_attempt_at, "
            + "updated_at = now() WHERE " + UNHELD + " RETURNING " + DELIVERY_COLUMNS)
        .execute(Tuple.of(messageId, endpointId, type, payload, leaseMs / 1000.0))
        .compose(rows -> rows.size() == 1 ? Future.succeededFuture(new Claim(WebhookDelivery.from(rows.iterator().next()), false))
            : db.preparedQuery("SELECT status FROM webhook_deliveries WHERE message_id = $1 AND endpoint_id = $2")
                .execute(Tuple.of(messageId, endpointId))
                .map(existing -> new Claim(null, existing.size() == 1
                    && "sending".equals(existing.iterator().next().getString("status")))));
  }

  /** The attempt succeeded: the endpoint's failure streak ends. */
  public Future<Void> succeeded(SqlClient db, UUID deliveryId, int statusCode) {
    return db.preparedQuery("WITH d AS (UPDATE webhook_deliveries SET status = 'succeeded', last_status_code = $2, "
            + "last_error = NULL, next_attempt_at = NULL, updated_at = now() WHERE id = $1 RETURNING endpoint_id) "
            + "UPDATE webhook_endpoints e SET failing_since = NULL FROM d "
            + "WHERE e.id = d.endpoint_id AND e.failing_since IS NOT NULL")
        .execute(Tuple.of(deliveryId, statusCode))
        .mapEmpty();
  }

  /**
   * The attempt failed. With {@code retryInMs} the delivery waits for its next attempt (pending), else it failed
   * for good. The endpoint's failure streak starts (if it had none); an endpoint whose streak is older than
   * {@code disableAfterDays} is disabled, and so is one that answered 410 ({@code gone}).
   * @return the endpoint's URL when this failure disabled it, else null
   */
  public Future<String> failed(SqlClient db, UUID deliveryId, Integer statusCode, String error, Long retryInMs,
                               boolean gone, int disableAfterDays) {
    return db.preparedQuery("WITH d AS (UPDATE webhook_deliveries SET status = CASE WHEN $4::bigint IS NULL "
            + "THEN 'failed' ELSE 'pending' END, last_status_code = $2, last_error = $3, "
            + "next_attempt_at = now() + make_interval(secs => $4::bigint / 1000.0), updated_at = now() "
            + "WHERE id = $1 RETURNING endpoint_id), "
            + "e AS (UPDATE webhook_endpoints e SET failing_since = COALESCE(e.failing_since, now()), "
            + "enabled = NOT ($5 OR COALESCE(e.failing_since, now()) < now() - make_interval(days => $6)), "
            + "disabled_reason = CASE WHEN $5 THEN 'gone' "
            + "WHEN COALESCE(e.failing_since, now()) < now() - make_interval(days => $6) THEN 'failing' END, "
            + "updated_at = now() FROM d WHERE e.id = d.endpoint_id AND e.enabled RETURNING e.url, e.enabled) "
            + "SELECT url FROM e WHERE NOT enabled")
        .execute(Tuple.of(deliveryId, statusCode, error, retryInMs, gone, disableAfterDays))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("url"));
  }

  public Future<List<WebhookDelivery>> deliveries(SqlClient db, UUID endpointId, Cursor after, int fetch) {
    return db.preparedQuery("SELECT " + DELIVERY_COLUMNS + " FROM webhook_deliveries WHERE endpoint_id = $1 "
            + "AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) ORDER BY created_at, id LIMIT $4")
        .execute(Tuple.tuple().addUUID(endpointId).addOffsetDateTime(after == null ? null : after.key())
            .addUUID(after == null ? null : after.id()).addInteger(fetch))
        .map(rows -> all(rows, WebhookDelivery::from));
  }

  /**
   * Queues a delivery again through the outbox (same message id, this endpoint only), with its attempts reset;
   * null when the endpoint has no such delivery.
   */
  public Future<WebhookDelivery> redeliver(SqlClient db, UUID endpointId, UUID deliveryId) {
    return db.preparedQuery("WITH d AS (UPDATE webhook_deliveries SET status = 'pending', attempts = 0, "
            + "next_attempt_at = now(), updated_at = now() WHERE id = $1 AND endpoint_id = $2 "
            + "RETURNING " + DELIVERY_COLUMNS + ", payload), " + REPUBLISH_D + " SELECT " + DELIVERY_COLUMNS + " FROM d")
        .execute(Tuple.of(deliveryId, endpointId))
        .map(rows -> one(rows, WebhookDelivery::from));
  }

  /**
   * The relay's mark step (in its transaction): a {@code pending} delivery due now for each webhook message it
   * published, so the database knows of a message before any worker claims it, and the sweeper can tell when the
   * broker lost it. An existing delivery is left as it is, except that a pending one (a redelivery or a sweeper's
   * re-publish) is due again from now.
   */
  public Future<Void> recordPending(SqlClient tx, List<WebhookMessage> messages) {
    Map<String, WebhookMessage> once = new LinkedHashMap<>();
    // two re-publishes of one delivery may share a batch; ON CONFLICT may touch a row only once per statement
    messages.forEach(m -> once.putIfAbsent(m.messageId() + "/" + m.endpointId(), m));
    if (once.isEmpty()) {
      return Future.succeededFuture();
    }
    List<WebhookMessage> deliveries = List.copyOf(once.values());
    return tx.preparedQuery("INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload, status, "
            + "next_attempt_at) SELECT d.message_id, d.endpoint_id, d.event_type, d.payload::jsonb, 'pending', now() "
            + "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) "
            + "AS d(message_id, endpoint_id, event_type, payload) "
            + "WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id) "
            + "ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO UPDATE SET next_attempt_at = now() "
            + "WHERE webhook_deliveries.status = 'pending'")
        .execute(Tuple.of(deliveries.stream().map(WebhookMessage::messageId).toArray(UUID[]::new),
            deliveries.stream().map(WebhookMessage::endpointId).toArray(UUID[]::new),
            deliveries.stream().map(WebhookMessage::type).toArray(String[]::new),
            deliveries.stream().map(m -> m.body().encode()).toArray(String[]::new)))
        .mapEmpty();
  }

  /**
   * The webhook sweeper's step (on the scheduler leader, in its fenced transaction): deliveries whose next attempt
   * is overdue by more than {@code graceMs} (a pending one whose message never reached a worker or never came back
   * from a delay queue, a sending one whose worker died past its lease) are queued again through the outbox, as
   * pending and due {@code graceMs} later, so the next sweeps leave them alone while the message travels. Rows
   * another sweeper holds are skipped. One that succeeded or failed is never taken, and a copy that arrives after
   * its delivery succeeded finds it done at the worker's claim: nothing is sent twice.
   * @return the endpoint of each delivery queued again
   */
  public Future<List<UUID>> republishOverdue(SqlClient tx, long graceMs, int batch) {
    return tx.preparedQuery("WITH due AS (SELECT id FROM webhook_deliveries WHERE status IN ('pending', 'sending') "
            + "AND next_attempt_at < now() - make_interval(secs => $1) ORDER BY next_attempt_at LIMIT $2 "
            + "FOR UPDATE SKIP LOCKED), "
            + "d AS (UPDATE webhook_deliveries w SET status = 'pending', "
            + "next_attempt_at = now() + make_interval(secs => $1), updated_at = now() FROM due WHERE w.id = due.id "
            + "RETURNING w.message_id, w.endpoint_id, w.payload), " + REPUBLISH_D + " SELECT endpoint_id FROM d")
        .execute(Tuple.of(graceMs / 1000.0, batch))
        .map(rows -> {
          List<UUID> endpoints = new ArrayList<>();
          rows.forEach(r -> endpoints.add(r.getUUID("endpoint_id")));
          return endpoints;
        });
  }

  /**
   * A message the broker dead-lettered becomes a failed delivery, listed and redeliverable through the API: a new
   * row, or one nobody works on (pending, or sending past its lease). One that succeeded or failed is left alone,
   * and so is one a worker holds right now (its outcome will be recorded). Nothing for a deleted endpoint.
   * @return whether the delivery is now failed because of this dead letter
   */
  public Future<Boolean> markDeadLettered(SqlClient db, WebhookMessage m, String error) {
    return db.preparedQuery("INSERT INTO webhook_deliveries (message_id, endpoint_id, event_type, payload, status, "
            + "last_error) SELECT $1::uuid, $2::uuid, $3::text, $4::jsonb, 'failed', $5::text WHERE EXISTS "
            + "(SELECT 1 FROM webhook_endpoints WHERE id = $2::uuid) ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO UPDATE SET status = 'failed', "
            + "last_error = EXCLUDED.last_error, next_attempt_at = NULL, updated_at = now() WHERE " + UNHELD)
        .execute(Tuple.of(m.messageId(), m.endpointId(), m.type(), m.body(), error))
        .map(rows -> rows.rowCount() == 1);
  }

  /** A pending delivery whose message waits {@code delayMs} more (its endpoint is busy) is due no sooner. */
  public Future<Void> postpone(SqlClient db, UUID messageId, UUID endpointId, long delayMs) {
    return db.preparedQuery("UPDATE webhook_deliveries SET next_attempt_at = GREATEST(next_attempt_at, "
            + "now() + make_interval(secs => $3)) WHERE message_id = $1 AND endpoint_id = $2 AND status = 'pending'")
        .execute(Tuple.of(messageId, endpointId, delayMs / 1000.0))
        .mapEmpty();
  }

  /**
   * A message for a disabled endpoint is not sent: its delivery, if nobody works on it, fails with that reason
   * (an admin may redeliver it once the endpoint is enabled again), so the sweeper does not queue it forever.
   */
  public Future<Void> notSent(SqlClient db, UUID messageId, UUID endpointId, String why) {
    return db.preparedQuery("UPDATE webhook_deliveries SET status = 'failed', last_error = $3, next_attempt_at = NULL, "
            + "updated_at = now() WHERE message_id = $1 AND endpoint_id = $2 AND (" + UNHELD + ")")
        .execute(Tuple.of(messageId, endpointId, why))
        .mapEmpty();
  }

  private static <T> T one(RowSet<Row> rows, Function<Row, T> from) {
    return rows.size() == 0 ? null : from.apply(rows.iterator().next());
  }

  private static <T> List<T> all(RowSet<Row> rows, Function<Row, T> from) {
    List<T> out = new ArrayList<>();
    rows.forEach(r -> out.add(from.apply(r)));
    return out;
  }
}
