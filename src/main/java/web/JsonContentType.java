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
    int end = contentType.indexOf(';');
    end = end < 0 ? contentType.length() : end;
    int start = 0;
    while (start < end && contentType.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && contentType.charAt(end - 1) <= ' ') {
      end--;
    }
    // compared in place, without splitting or lower-casing a copy: this runs on every request with a body
    return isType(contentType, start, end, "application/json")
        || (startsWith(contentType, start, end, "application/") && endsWith(contentType, start, end, "+json"));
  }

  private static boolean isType(String s, int start, int end, String type) {
    return end - start == type.length() && s.regionMatches(true, start, type, 0, type.length());
  }

  private static boolean startsWith(String s, int start, int end, String prefix) {
    return end - start >= prefix.length() && s.regionMatches(true, start, prefix, 0, prefix.length());
  }

  private static boolean endsWith(String s, int start, int end, String suffix) {
    return end - start >= suffix.length() && s.regionMatches(true, end - suffix.length(), suffix, 0, suffix.length());
  }
}
