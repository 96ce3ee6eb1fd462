package support;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * FCM HTTP v1 for the test: a real HTTP server that accepts a send only with a bearer token the token endpoint
 * issued (else 401 UNAUTHENTICATED, as FCM answers), records each send, and answers a device token as scripted;
 * an answer may be held until the test releases it.
 */
public final class FcmStandIn implements AutoCloseable {

  public record Send(String path, String bearer, String deviceToken, int status) {
  }

  private final Vertx vertx = Vertx.vertx();
  private final GoogleTokenEndpoint google;
  private final HttpServer server;
  private final List<Send> sends = new CopyOnWriteArrayList<>();
  private final Map<String, JsonObject> answers = new ConcurrentHashMap<>();
  private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
  private final Map<String, Promise<Void>> holds = new ConcurrentHashMap<>();
  private final Map<String, Boolean> held = new ConcurrentHashMap<>();

  public FcmStandIn(GoogleTokenEndpoint google) {
    this.google = google;
    this.server = LoopbackServer.start(vertx, this::handle);
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      String auth = String.valueOf(request.getHeader("Authorization"));
      String bearer = auth.startsWith("Bearer ") ? auth.substring(7) : "";
      String device = new JsonObject(body.toString()).getJsonObject("message").getString("token");
      if (!google.accepts(bearer)) {
        sends.add(new Send(request.path(), bearer, device, 401));
        request.response().setStatusCode(401).putHeader("Content-Type", "application/json").end(new JsonObject()
            .put("error", new JsonObject().put("code", 401).put("message", "Request had invalid authentication "
                + "credentials. Expected OAuth 2 access token.").put("status", "UNAUTHENTICATED")).encode());
        return;
      }
      int status = statuses.getOrDefault(device, 200);
      JsonObject answer = answers.getOrDefault(device, new JsonObject()
          .put("name", "projects/" + GoogleTokenEndpoint.PROJECT_ID + "/messages/" + UUID.randomUUID()));
      sends.add(new Send(request.path(), bearer, device, status));
      Promise<Void> hold = holds.remove(device);
      if (hold != null) {
        held.put(device, true);
      }
      (hold == null ? io.vertx.core.Future.<Void>succeededFuture() : hold.future()).onComplete(v -> request.response()
          .setStatusCode(status).putHeader("Content-Type", "application/json").end(answer.encode()));
    });
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  public void answer(String deviceToken, int status, JsonObject body) {
    statuses.put(deviceToken, status);
    answers.put(deviceToken, body);
  }

  /** The next send to this device token waits for {@code release}. */
  public void hold(String deviceToken, Promise<Void> release) {
    holds.put(deviceToken, release);
  }

  public boolean holding(String deviceToken) {
    return held.containsKey(deviceToken);
  }

  /** Every device token sent to. */
  public List<String> deviceTokens() {
    return sends.stream().map(Send::deviceToken).distinct().toList();
  }

  public List<Send> sendsTo(String deviceToken) {
    return sends.stream().filter(s -> deviceToken.equals(s.deviceToken())).toList();
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
