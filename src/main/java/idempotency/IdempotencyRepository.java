package idempotency;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import web.Responses.RecordedResponse;

/** SQL for Idempotency-Key records, one per (caller, key). */
public final class IdempotencyRepository {

  /** A claim left in flight this long belongs to a request that died; a retry may take it over. */
  private static final int ABANDONED_AFTER_SECONDS = 60;

  /** What is stored under a key that could not be claimed. */
  public record Existing(String requestHash, String status, RecordedResponse response) {
  }

  /** @return true when this request now owns the key (new, expired, or abandoned) */
  public Future<Boolean> claim(SqlClient db, String caller, String key, String requestHash, int ttlHours) {
    return db.preparedQuery("INSERT INTO idempotency_keys (caller, key, request_hash, status, expires_at) "
            + "VALUES ($1, $2, $3, 'in_flight', now() + make_interval(hours => $4)) "
            + "ON CONFLICT (caller, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = 'in_flight', "
            + "response_status = NULL, response_headers = NULL, response_body = NULL, created_at = now(), "
            + "expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at < now() "
            + "OR (idempotency_keys.status = 'in_flight' AND idempotency_keys.created_at < now() - make_interval(secs => $5)) "
            + "RETURNING 1")
        .execute(Tuple.of(caller, key, requestHash, ttlHours, ABANDONED_AFTER_SECONDS))
        .map(rows -> rows.size() == 1);
  }

  /** @return the live record under the key, or null when it vanished meanwhile */
  public Future<Existing> find(SqlClient db, String caller, String key) {
    return db.preparedQuery("SELECT request_hash, status, response_status, response_headers, response_body "
            + "FROM idempotency_keys WHERE caller = $1 AND key = $2 AND expires_at >= now()")
        .execute(Tuple.of(caller, key))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          RecordedResponse response = null;
          if ("done".equals(r.getString("status"))) {
            JsonObject headers = (JsonObject) r.getValue("response_headers");
            response = new RecordedResponse(r.getInteger("response_status"), headers.getString("contentType"),
                headers.getString("location"), r.getString("response_body"));
          }
          return new Existing(r.getString("request_hash"), r.getString("status"), response);
        });
  }

  public Future<Void> complete(SqlClient db, String caller, String key, RecordedResponse response) {
    return db.preparedQuery("UPDATE idempotency_keys SET status = 'done', response_status = $3, "
            + "response_headers = $4, response_body = $5 WHERE caller = $1 AND key = $2")
        .execute(Tuple.of(caller, key, response.status(), response.headers(), response.body()))
        .mapEmpty();
  }

  /** Gives the key up (the request failed on our side), so that a retry runs it again. */
  public Future<Void> release(SqlClient db, String caller, String key) {
    return db.preparedQuery("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND status = 'in_flight'")
        .execute(Tuple.of(caller, key))
        .mapEmpty();
  }
}
