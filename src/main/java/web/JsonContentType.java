package web;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/** 415 for a body that is not JSON (the contract router would only say 400). */
public final class JsonContentType implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    HttpMethod method = request.method();
    boolean carriesBody = method == HttpMethod.POST || method == HttpMethod.PATCH || method == HttpMethod.PUT;
    if (carriesBody && hasBody(request) && !isJson(request.getHeader(HttpHeaders.CONTENT_TYPE))) {
      rc.fail(new ApiError(415, "unsupported_media_type", "Send the body as application/json.", List.of()));
      return;
    }
    rc.next();
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.trim().equals("0"));
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase();
    return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
  }
}
