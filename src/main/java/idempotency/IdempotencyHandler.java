package idempotency;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;
import web.ApiError;
import web.Responses;
import web.Responses.RecordedResponse;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.BiFunction;

/**
 * {@code Idempotency-Key} on POSTs, as openapi.yaml describes it: the first response is kept per (caller, key); the same
 * request again gets it back with {@code Idempotent-Replayed: true}; another body under the same key is
 * 422, and a retry while the first is running is 409. Server-side failures (5xx) are not kept.
 *
 * <p>An operation whose answer holds a secret (a webhook's signing secret) uses {@link #withholding}: the field is
 * left out of the stored answer, so the keys' table never holds it, and a replay puts back its value of now.
 */
public final class IdempotencyHandler implements Handler<RoutingContext> {

  public static final String HEADER = "Idempotency-Key";

  /**
   * A field of a successful JSON answer that is not stored with the key, and how a replay gets its value now
   * (from the request and the stored answer; a failed future fails the replay, e.g. the resource is gone).
   */
  public record Withheld(String field, BiFunction<RoutingContext, JsonObject, Future<String>> current) {
  }

  private final SqlClient db;
  private final IdempotencyRepository keys;
  private final int ttlHours;
  private final Withheld withheld;

  public IdempotencyHandler(SqlClient db, IdempotencyRepository keys, int ttlHours) {
    this(db, keys, ttlHours, null);
  }

  private IdempotencyHandler(SqlClient db, IdempotencyRepository keys, int ttlHours, Withheld withheld) {
    this.db = db;
    this.keys = keys;
    this.ttlHours = ttlHours;
    this.withheld = withheld;
  }

  /** The same handling for an operation whose answer holds {@code field}: not stored, filled in on a replay. */
  public IdempotencyHandler withholding(Withheld field) {
    return new IdempotencyHandler(db, keys, ttlHours, field);
  }

  @Override
  public void handle(RoutingContext rc) {
    String key = rc.request().getHeader(HEADER);
    if (key == null) {
      rc.next();
      return;
    }
    Caller caller = rc.get(Caller.KEY);
    String scope = caller.scope();
    String hash = hash(rc);
    keys.claim(db, scope, key, hash, ttlHours)
        .compose(claimed -> claimed ? Future.succeededFuture((IdempotencyRepository.Existing) null)
            : keys.find(db, scope, key).compose(existing -> existing != null ? Future.succeededFuture(existing)
                // released between our insert and our read: try to claim once more
                : keys.claim(db, scope, key, hash, ttlHours).compose(again -> again ? Future.succeededFuture(null)
                    : Future.failedFuture(inFlight()))))
        .onSuccess(existing -> {
          if (existing == null) {
            rc.put(Responses.ResponseRecorder.KEY, (Responses.ResponseRecorder) response -> record(scope, key, response));
            rc.next();
          } else if (!existing.requestHash().equals(hash)) {
            rc.fail(new ApiError(422, "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.", java.util.List.of()));
          } else if (existing.response() == null) {
            rc.fail(inFlight());
          } else {
            replay(rc, existing.response());
          }
        })
        .onFailure(rc::fail);
  }

  private Future<Void> record(String scope, String key, RecordedResponse response) {
    Future<Void> stored = response.status() >= 500
        ? keys.release(db, scope, key)
        : keys.complete(db, scope, key, withoutWithheld(response));
    return stored.recover(e -> keys.release(db, scope, key).otherwiseEmpty());
  }

  private boolean withholds(RecordedResponse response) {
    return withheld != null && response.status() < 300 && Responses.JSON.equals(response.contentType());
  }

  private RecordedResponse withoutWithheld(RecordedResponse response) {
    if (!withholds(response)) {
      return response;
    }
    JsonObject body = new JsonObject(response.body());
    body.remove(withheld.field());
    return new RecordedResponse(response.status(), response.contentType(), response.location(), body.encode());
  }

  private void replay(RoutingContext rc, RecordedResponse stored) {
    if (!withholds(stored)) {
      send(rc, stored);
      return;
    }
    JsonObject body = new JsonObject(stored.body());
    withheld.current().apply(rc, body)
        .onSuccess(value -> send(rc, new RecordedResponse(stored.status(), stored.contentType(), stored.location(),
            body.put(withheld.field(), value).encode())))
        .onFailure(rc::fail);
  }

  private static void send(RoutingContext rc, RecordedResponse stored) {
    rc.response().setStatusCode(stored.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, stored.contentType())
        .putHeader("Idempotent-Replayed", "true");
    if (stored.location() != null) {
      rc.response().putHeader(HttpHeaders.LOCATION, stored.location());
    }
    rc.response().end(stored.body());
  }

  private static ApiError inFlight() {
    return ApiError.conflict("idempotency_in_flight", "A request with this Idempotency-Key is still being processed.");
  }

  /** The request's identity: method, path and the exact body bytes. */
  private static String hash(RoutingContext rc) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((rc.request().method().name() + " " + rc.request().path() + "\n").getBytes(StandardCharsets.UTF_8));
      Buffer body = rc.body() == null ? null : rc.body().buffer();
      if (body != null) {
        sha.update(body.getBytes());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
