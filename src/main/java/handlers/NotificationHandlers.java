package handlers;

import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import notifications.NotificationService;
import web.Requests;
import web.Responses;

/** /v1/notifications: reads the validated request, calls the service, writes the response. */
public final class NotificationHandlers {

  private final NotificationService notifications;

  public NotificationHandlers(NotificationService notifications) {
    this.notifications = notifications;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    builder.getRoute("listNotifications").addHandler(this::list);
    builder.getRoute("retryNotification").addHandler(idempotency).addHandler(this::retry);
  }

  private void list(RoutingContext rc) {
    Reply.ok(rc, notifications.list(Requests.caller(rc), Requests.query(rc, "status"), Requests.cursor(rc),
        Requests.limit(rc)));
  }

  private void retry(RoutingContext rc) {
    notifications.retry(Requests.caller(rc), Requests.pathId(rc))
        .onSuccess(body -> Responses.accepted(rc, body))
        .onFailure(rc::fail);
  }
}
