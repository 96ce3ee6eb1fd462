package notifications;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import notifications.NotificationRepository.Delivery;
import web.ApiError;
import web.Cursor;
import web.Json;
import web.Page;

import java.util.UUID;

/** Ops' view of deliveries: list them (e.g. the failed ones) and send a failed one again. Admins only. */
public final class NotificationService {

  private final Pool pool;
  private final NotificationRepository repository;

  public NotificationService(Pool pool, NotificationRepository repository) {
    this.pool = pool;
    this.repository = repository;
  }

  public Future<JsonObject> list(Caller caller, String status, Cursor after, int limit) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins see notification deliveries."));
    }
    return repository.list(pool, status, after, limit + 1)
        .map(rows -> Page.of(rows, limit, NotificationService::toJson, Delivery::createdAt, Delivery::id));
  }

  /** Puts a failed delivery back in the queue (through the outbox, so it survives a broker outage). */
  public Future<JsonObject> retry(Caller caller, UUID id) {
    if (!caller.isAdmin()) {
      return Future.failedFuture(ApiError.forbidden("Only admins retry notifications."));
    }
    return pool.withTransaction(tx -> repository.requeueFailed(tx, id).compose(requeued -> requeued != null
        ? Future.succeededFuture(toJson(requeued))
        : repository.findDelivery(tx, id).compose(existing -> Future.failedFuture(existing == null
            ? ApiError.notFound("No such notification delivery.")
            : ApiError.conflict("notification_not_failed", "Only a failed delivery can be retried; this one is "
                + existing.status() + ".")))));
  }

  static JsonObject toJson(Delivery d) {
    return new JsonObject()
        .put("id", d.id().toString())
        .put("notificationId", d.notificationId().toString())
        .put("channel", d.channel())
        .put("kind", d.kind())
        .put("memberId", d.memberId() == null ? null : d.memberId().toString())
        .put("bookingId", d.payload().getString("bookingId"))
        .put("eventId", d.payload().getString("eventId"))
        .put("status", d.status())
        .put("attempts", d.attempts())
        .put("lastError", d.lastError())
        .put("createdAt", Json.time(d.createdAt()))
        .put("updatedAt", Json.time(d.updatedAt()))
        .put("sentAt", Json.time(d.sentAt()));
  }
}
