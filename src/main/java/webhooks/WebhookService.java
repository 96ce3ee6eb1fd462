package webhooks;

import auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import web.ApiError;
import web.Cursor;
import web.Page;

import java.util.List;
import java.util.UUID;

/** Webhook endpoints as admins manage them, and their deliveries. Admins only: partners get a URL and a secret. */
public final class WebhookService {

  /** How long a rotated-out secret still signs beside the new one, so receivers can switch without a gap. */
  public static final long ROTATION_OVERLAP_SECONDS = 24 * 3600;

  private final Vertx vertx;
  private final Pool pool;
  private final WebhookRepository repository;
  private final AddressPolicy policy;

  public WebhookService(Vertx vertx, Pool pool, WebhookRepository repository, AddressPolicy policy) {
    this.vertx = vertx;
    this.pool = pool;
    this.repository = repository;
    this.policy = policy;
  }

  public Future<WebhookEndpoint> create(Caller caller, JsonObject body) {
    String url = body.getString("url");
    return admin(caller)
        .compose(v -> allowedUrl(url))
        .compose(v -> repository.insert(pool, url, body.getString("description", ""),
            types(body.getJsonArray("eventTypes")), WebhookSecret.generate()));
  }

  public Future<WebhookEndpoint> get(Caller caller, UUID id) {
    return admin(caller).compose(v -> repository.find(pool, id)).map(WebhookService::found);
  }

  public Future<JsonObject> list(Caller caller, Cursor after, int limit) {
    return admin(caller).compose(v -> repository.list(pool, after, limit + 1))
        .map(rows -> Page.of(rows, limit, WebhookEndpoint::toJson, WebhookEndpoint::createdAt, WebhookEndpoint::id));
  }

  public Future<WebhookEndpoint> update(Caller caller, UUID id, JsonObject changes) {
    String url = changes.getString("url");
    JsonArray eventTypes = changes.getJsonArray("eventTypes");
    return admin(caller)
        .compose(v -> url == null ? Future.succeededFuture() : allowedUrl(url))
        .compose(v -> repository.update(pool, id, url, changes.getString("description"),
            eventTypes == null ? null : types(eventTypes), changes.getBoolean("enabled")))
        .map(WebhookService::found);
  }

  public Future<Void> delete(Caller caller, UUID id) {
    return admin(caller).compose(v -> repository.delete(pool, id))
        .compose(deleted -> deleted ? Future.succeededFuture() : Future.failedFuture(notFound()));
  }

  public Future<WebhookEndpoint> rotateSecret(Caller caller, UUID id) {
    return admin(caller)
        .compose(v -> repository.rotate(pool, id, WebhookSecret.generate(), ROTATION_OVERLAP_SECONDS))
        .map(WebhookService::found);
  }

  /**
   * The endpoint's secret as it signs now: what a replayed creation or rotation answers (the answers kept for
   * an Idempotency-Key never hold it). A deleted endpoint has none: not found.
   */
  public Future<String> currentSecret(Caller caller, UUID id) {
    return admin(caller).compose(v -> repository.find(pool, id)).map(endpoint -> {
      if (endpoint == null) {
        throw ApiError.notFound("No such webhook: it was deleted since, and its secret with it.");
      }
      return endpoint.secret().text();
    });
  }

  public Future<JsonObject> deliveries(Caller caller, UUID id, Cursor after, int limit) {
    return get(caller, id).compose(endpoint -> repository.deliveries(pool, id, after, limit + 1))
        .map(rows -> Page.of(rows, limit, WebhookDelivery::toJson, WebhookDelivery::createdAt, WebhookDelivery::id));
  }

  public Future<WebhookDelivery> redeliver(Caller caller, UUID id, UUID deliveryId) {
    return admin(caller)
        .compose(v -> pool.withTransaction(tx -> repository.redeliver(tx, id, deliveryId)))
        .map(delivery -> {
          if (delivery == null) {
            throw ApiError.notFound("No such delivery of this webhook.");
          }
          return delivery;
        });
  }

  private static Future<Void> admin(Caller caller) {
    return caller.isAdmin() ? Future.succeededFuture()
        : Future.failedFuture(ApiError.forbidden("Only admins manage webhooks."));
  }

  /** Resolves the URL's host off the event loop and refuses it unless every address may be reached. */
  private Future<Void> allowedUrl(String url) {
    return vertx.<Void>executeBlocking(() -> {
      policy.resolve(AddressPolicy.parse(url));
      return null;
    }, false).recover(e -> Future.failedFuture(e instanceof AddressPolicy.Refused refused
        ? ApiError.webhookUrlNotAllowed("The URL " + refused.getMessage() + ".") : e));
  }

  private static List<String> types(JsonArray array) {
    return array.stream().map(String::valueOf).distinct().toList();
  }

  private static WebhookEndpoint found(WebhookEndpoint endpoint) {
    if (endpoint == null) {
      throw notFound();
    }
    return endpoint;
  }

  private static ApiError notFound() {
    return ApiError.notFound("No such webhook.");
  }
}
