package webhooks;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.Cursor;

import java.util.ArrayList;
import java.util.List;
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
            + "updated_at = now() WHERE webhook_deliveries.status = 'pending' "
            + "OR (webhook_deliveries.status = 'sending' AND webhook_deliveries.next_attempt_at < now()) "
            + "RETURNING " + DELIVERY_COLUMNS)
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
            + "RETURNING " + DELIVERY_COLUMNS + ", payload), "
            + "o AS (INSERT INTO outbox (kind, payload) SELECT 'webhook.redeliver', jsonb_build_object("
            + "'webhookMessage', d.payload, 'webhookMessageId', d.message_id, 'webhooks', jsonb_build_array(d.endpoint_id)) "
            + "FROM d) SELECT " + DELIVERY_COLUMNS + " FROM d")
        .execute(Tuple.of(deliveryId, endpointId))
        .map(rows -> one(rows, WebhookDelivery::from));
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
