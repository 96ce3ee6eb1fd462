package notifications.channels;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import notifications.NotificationRepository.Recipient;

/** Push through an FCM HTTP v1-compatible endpoint: a JSON POST with a bearer token. */
public final class PushChannel implements NotificationChannel {

  private final WebClient client;
  private final String url;
  private final String accessToken;
  private final long timeoutMs;

  public PushChannel(WebClient client, JsonObject push, long timeoutMs) {
    this.client = client;
    this.url = HttpStatus.endpoint(push.getString("url", ""),
        "/v1/projects/" + push.getString("projectId", "") + "/messages:send");
    this.accessToken = push.getString("accessToken", "");
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
    return client.postAbs(url).timeout(timeoutMs)
        .bearerTokenAuthentication(accessToken)
        .sendJsonObject(body)
        .recover(error -> HttpStatus.unreachable("push provider", error).mapEmpty())
        .compose(response -> HttpStatus.outcome("push provider", response));
  }
}
