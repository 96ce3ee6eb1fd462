package handlers;

import idempotency.IdempotencyHandler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import web.Requests;
import web.Responses;
import webhooks.WebhookDelivery;
import webhooks.WebhookEndpoint;
import webhooks.WebhookService;

import java.util.UUID;

/** /v1/webhooks: reads the validated request, calls the service, writes the response. */
public final class WebhookHandlers {

  private final WebhookService webhooks;

  public WebhookHandlers(WebhookService webhooks) {
    this.webhooks = webhooks;
  }

  public void register(RouterBuilder builder, IdempotencyHandler idempotency) {
    // the signing secret is not kept with an Idempotency-Key: a replay answers the endpoint's current secret
    IdempotencyHandler withoutSecret = idempotency.withholding(new IdempotencyHandler.Withheld("secret",
        (rc, stored) -> webhooks.currentSecret(Requests.caller(rc), UUID.fromString(stored.getString("id")))));
    builder.getRoute("createWebhook").addHandler(withoutSecret).addHandler(this::create);
    builder.getRoute("listWebhooks").addHandler(this::list);
    builder.getRoute("getWebhook").addHandler(this::get);
    builder.getRoute("updateWebhook").addHandler(this::update);
    builder.getRoute("deleteWebhook").addHandler(this::delete);
    builder.getRoute("rotateWebhookSecret").addHandler(withoutSecret).addHandler(this::rotate);
    builder.getRoute("listWebhookDeliveries").addHandler(this::deliveries);
    builder.getRoute("redeliverWebhook").addHandler(idempotency).addHandler(this::redeliver);
  }

  private void create(RoutingContext rc) {
    Reply.created(rc, webhooks.create(Requests.caller(rc), Requests.body(rc)), WebhookEndpoint::withSecret,
        "/v1/webhooks");
  }

  private void list(RoutingContext rc) {
    Reply.ok(rc, webhooks.list(Requests.caller(rc), Requests.cursor(rc), Requests.limit(rc)));
  }

  private void get(RoutingContext rc) {
    Reply.ok(rc, webhooks.get(Requests.caller(rc), Requests.pathId(rc)), WebhookEndpoint::toJson);
  }

  private void update(RoutingContext rc) {
    Reply.ok(rc, webhooks.update(Requests.caller(rc), Requests.pathId(rc), Requests.body(rc)),
        WebhookEndpoint::toJson);
  }

  private void delete(RoutingContext rc) {
    webhooks.delete(Requests.caller(rc), Requests.pathId(rc))
        .onSuccess(v -> Responses.noContent(rc))
        .onFailure(rc::fail);
  }

  private void rotate(RoutingContext rc) {
    Reply.ok(rc, webhooks.rotateSecret(Requests.caller(rc), Requests.pathId(rc)), WebhookEndpoint::withSecret);
  }

  private void deliveries(RoutingContext rc) {
    Reply.ok(rc, webhooks.deliveries(Requests.caller(rc), Requests.pathId(rc), Requests.cursor(rc),
        Requests.limit(rc)));
  }

  private void redeliver(RoutingContext rc) {
    webhooks.redeliver(Requests.caller(rc), Requests.pathId(rc), Requests.pathId(rc, "deliveryId"))
        .onSuccess(delivery -> Responses.accepted(rc, delivery.toJson()))
        .onFailure(rc::fail);
  }
}
