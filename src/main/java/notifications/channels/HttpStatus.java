package notifications.channels;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;

/** Provider endpoints, and how an HTTP provider's answer maps to a delivery outcome: 2xx sent, 429/5xx retried, other 4xx failed. */
final class HttpStatus {

  private HttpStatus() {
  }

  /** A provider's base URL (with or without a trailing slash) and an API path. */
  static String endpoint(String base, String path) {
    return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path;
  }

  static Future<Void> outcome(String provider, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return Future.succeededFuture();
    }
    String detail = answered(provider, response);
    if (status == 429) {
      return Future.failedFuture(DeliveryException.retryAfter(detail, retryAfterMs(response.getHeader("Retry-After"))));
    }
    if (status >= 400 && status < 500 && status != 408) {
      return Future.failedFuture(DeliveryException.permanent(detail));
    }
    return Future.failedFuture(DeliveryException.retry(detail));
  }

  /** "provider answered 400: {the start of its answer, redacted}", as logs and lastError show it. */
  static String answered(String provider, HttpResponse<Buffer> response) {
    return provider + " answered " + response.statusCode() + brief(response.bodyAsString());
  }

  static Future<Void> unreachable(String provider, Throwable error) {
    return Future.failedFuture(error instanceof DeliveryException ? error
        : DeliveryException.retry(provider + " unreachable: " + error.getMessage()));
  }

  /** Retry-After in seconds (an HTTP date is treated as one minute). */
  private static long retryAfterMs(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.trim())) * 1000;
    } catch (NumberFormatException e) {
      return 60_000;
    }
  }

  /**
   * The start of the provider's answer, redacted before it is shortened (a token cut in half would no longer
   * look like one). Only the first kilobyte is read, without the word it ends in.
   */
  private static String brief(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String head = body.length() > 1024 ? body.substring(0, 1024).replaceFirst("\\S+$", "") + " …" : body;
    String flat = Redaction.apply(head.replaceAll("\\s+", " ").trim());
    return ": " + (flat.length() > 200 ? flat.substring(0, 200) + "…" : flat);
  }
}
