package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A failure the client caused or must know about, with the stable {@code code} that openapi.yaml lists.
 * Thrown or failed anywhere; {@code handlers.ProblemHandler} turns it into problem+json.
 */
public final class ApiError extends RuntimeException {

  public record FieldError(String field, String message) {
    JsonObject toJson() {
      return new JsonObject().put("field", field).put("message", message);
    }
  }

  private final int status;
  private final String code;
  private final List<FieldError> errors;
  /** Seconds for a {@code Retry-After} header; 0: none. */
  private final int retryAfterSeconds;

  public ApiError(int status, String code, String detail, List<FieldError> errors) {
    this(status, code, detail, errors, 0);
  }

  private ApiError(int status, String code, String detail, List<FieldError> errors, int retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 429: the caller is over a rate limit; it may try again after {@code retryAfterSeconds}. */
  public static ApiError rateLimited(String detail, long retryAfterSeconds) {
    return new ApiError(429, "rate_limited", detail, List.of(),
        (int) Math.min(Integer.MAX_VALUE, Math.max(1, retryAfterSeconds)));
  }

  public static ApiError notFound(String detail) {
    return new ApiError(404, "not_found", detail, List.of());
  }

  public static ApiError notFound(String code, String detail) {
    return new ApiError(404, code, detail, List.of());
  }

  public static ApiError forbidden(String detail) {
    return new ApiError(403, "forbidden", detail, List.of());
  }

  public static ApiError forbidden(String code, String detail) {
    return new ApiError(403, code, detail, List.of());
  }

  public static ApiError conflict(String code, String detail) {
    return new ApiError(409, code, detail, List.of());
  }

  public static ApiError unauthenticated(String detail) {
    return new ApiError(401, "unauthenticated", detail, List.of());
  }

  public static ApiError invalid(String field, String message) {
    return new ApiError(400, "validation_failed", "The request is not valid.", List.of(new FieldError(field, message)));
  }

  public static ApiError invalid(List<FieldError> errors) {
    return new ApiError(400, "validation_failed", "The request is not valid.", errors);
  }

  /** 400: a webhook URL that is not http(s), does not resolve, or reaches an address that is not public. */
  public static ApiError webhookUrlNotAllowed(String detail) {
    return new ApiError(400, "webhook_url_not_allowed", detail, List.of(new FieldError("url", detail)));
  }

  public static ApiError unavailable(String detail) {
    return new ApiError(503, "unavailable", detail, List.of());
  }

  /** The service holds too much work already (a full or slow queue): the client may retry after a pause. */
  public static ApiError overloaded(String detail, int retryAfterSeconds) {
    return new ApiError(503, "overloaded", detail, List.of(), retryAfterSeconds);
  }

  /** The request ran out of its time budget before an answer was ready. */
  public static ApiError timedOut(String detail, int retryAfterSeconds) {
    return new ApiError(503, "unavailable", detail, List.of(), retryAfterSeconds);
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public List<FieldError> errors() {
    return errors;
  }

  public JsonArray errorsJson() {
    JsonArray array = new JsonArray();
    errors.forEach(e -> array.add(e.toJson()));
    return array;
  }
}
