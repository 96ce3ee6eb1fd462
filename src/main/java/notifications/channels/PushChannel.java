package notifications.channels;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import notifications.NotificationRepository.Recipient;

/**
 * Push through an FCM HTTP v1-compatible endpoint: a JSON POST with a bearer token from {@link PushAuth}. A 401
 * renews the token and sends once more; an answer saying the device token is dead fails the delivery and has the
 * member's token cleared ({@link FcmError}).
 */
public final class PushChannel implements NotificationChannel {

  private static final String PROVIDER = "push provider";

  private final WebClient client;
  private final String url;
  private final PushAuth auth;
  private final long timeoutMs;

  public PushChannel(WebClient client, String baseUrl, String projectId, PushAuth auth, long timeoutMs) {
    this.client = client;
    this.url = HttpStatus.endpoint(baseUrl, "/v1/projects/" + projectId + "/messages:send");
    this.auth = auth;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public Future<Void> send(Recipient to, Rendered message) {
    if (to.pushToken() == null || to.pushToken().isBlank()) {
      return Future.failedFuture(DeliveryException.permanent("the member has no push token"));
    }
    JsonObject body = new JsonObject().put("message", new JsonObject()
        .put("token", to.pushToken())
        .put("notification", new JsonObject().put("title", message.subject()).put("body", message.shortText())));
    return auth.token()
        .compose(token -> post(body, token).compose(response -> response.statusCode() == 401
            ? auth.renew(token).compose(renewed -> renewed.equals(token) ? Future.succeededFuture(response)
                : post(body, renewed))
            : Future.succeededFuture(response)))
        .compose(response -> outcome(response, to.pushToken()));
  }

  private Future<HttpResponse<Buffer>> post(JsonObject body, String accessToken) {
    return client.postAbs(url).timeout(timeoutMs)
        .bearerTokenAuthentication(accessToken)
        .sendJsonObject(body)
        .recover(error -> HttpStatus.unreachable(PROVIDER, error).mapEmpty());
  }

  private static Future<Void> outcome(HttpResponse<Buffer> response, String deviceToken) {
    if (FcmError.tokenIsDead(response.statusCode(), response.bodyAsString())) {
      return Future.failedFuture(DeliveryException.staleContact(HttpStatus.answered(PROVIDER, response)
          + " - the device token is no longer valid (unregistered, or not a token)",
          new StaleContact(StaleContact.Kind.PUSH_TOKEN_GONE, deviceToken)));
    }
    return HttpStatus.outcome(PROVIDER, response);
  }
}
