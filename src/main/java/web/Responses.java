package web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The one way responses leave the API: JSON and problem+json alike pass here, so a recorded
 * Idempotency-Key sees exactly what the client saw.
 */
public final class Responses {

  public static final String JSON = "application/json";
  public static final String PROBLEM_JSON = "application/problem+json";
  // header values encoded to bytes once, not on every response
  private static final CharSequence JSON_HEADER = HttpHeaders.createOptimized(JSON);
  private static final CharSequence PROBLEM_JSON_HEADER = HttpHeaders.createOptimized(PROBLEM_JSON);

  private Responses() {
  }

  public static void ok(RoutingContext rc, JsonObject body) {
    send(rc, 200, JSON, null, body.toBuffer());
  }

  public static void created(RoutingContext rc, String location, JsonObject body) {
    send(rc, 201, JSON, location, body.toBuffer());
  }

  /** A body that writes its own JSON (the hot answers: an event, a booking, a page of events). */
  public static void ok(RoutingContext rc, JsonBody body) {
    send(rc, 200, JSON, null, body.toBuffer());
  }

  public static void created(RoutingContext rc, String location, JsonBody body) {
    send(rc, 201, JSON, location, body.toBuffer());
  }

  public static void accepted(RoutingContext rc, JsonObject body) {
    send(rc, 202, JSON, null, body.toBuffer());
  }

  /** 204 for a DELETE (which takes no Idempotency-Key, so there is nothing to record). */
  public static void noContent(RoutingContext rc) {
    if (!rc.response().ended() && !rc.response().closed()) {
      rc.response().setStatusCode(204).end();
    }
  }

  public static void problem(RoutingContext rc, int status, JsonObject problem) {
    send(rc, status, PROBLEM_JSON, null, problem.toBuffer());
  }

  private static void send(RoutingContext rc, int status, String contentType, String location, Buffer body) {
    ResponseRecorder recorder = rc.get(ResponseRecorder.KEY);
    Future<Void> recorded = recorder == null
        ? Future.succeededFuture()
        : recorder.record(new RecordedResponse(status, contentType, location, body.toString()));
    // Recording is best effort: a client must get its answer even if the key cannot be stored.
    recorded.onComplete(ignored -> {
      HttpServerResponse response = rc.response();
      if (response.ended() || response.closed()) {
        return;
      }
      response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, headerValue(contentType));
      if (location != null) {
        response.putHeader(HttpHeaders.LOCATION, location);
      }
      response.end(body);
    });
  }

  private static CharSequence headerValue(String contentType) {
    return switch (contentType) {
      case JSON -> JSON_HEADER;
      case PROBLEM_JSON -> PROBLEM_JSON_HEADER;
      default -> contentType;
    };
  }

  /** What the idempotency layer stores and replays. */
  public record RecordedResponse(int status, String contentType, String location, String body) {
    public JsonObject headers() {
      return new JsonObject().put("contentType", contentType).put("location", location);
    }
  }

  /** Set on a request by the idempotency layer, so that the response is stored before it is sent. */
  public interface ResponseRecorder {
    String KEY = "roster.responseRecorder";

    Future<Void> record(RecordedResponse response);
  }
}
