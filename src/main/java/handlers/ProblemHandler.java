package handlers;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.pgclient.PgException;
import logging.RequestIdHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import web.ApiError;
import web.ApiError.FieldError;
import web.Responses;

import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The single place where failures become RFC 9457 problem+json with the stable codes of openapi.yaml.
 * Also the router's error handler for 404/405. Stack traces are logged, never sent.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
  private static final Pattern PARAMETER = Pattern.compile("(?:query|path|header|cookie) parameter ([\\w-]+)");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");
  /** The wrapper of an if/then/else branch (ContractLoader puts one around the e-mail format). */
  private static final Pattern CONDITIONAL = Pattern.compile("Instance does not match \"(then|else)\" schema");

  @Override
  public void handle(RoutingContext rc) {
    ApiError error = toApiError(rc.failure(), rc.statusCode());
    if (error.status() >= 500 && error.status() != 503) {
      log.error("{} {} failed", rc.request().method(), rc.request().path(), rc.failure());
    } else if (error.status() == 503 && !"overloaded".equals(error.code())) { // overload is logged once per burst
      log.warn("{} {} unavailable: {}", rc.request().method(), rc.request().path(), describe(rc.failure()));
    }
    JsonObject problem = new JsonObject()
        .put("type", "https://roster.example/problems/" + error.code().replace('_', '-'))
        .put("title", title(error.status()))
        .put("status", error.status())
        .put("detail", error.getMessage())
        .put("instance", rc.request().path())
        .put("code", error.code());
    if (!error.errors().isEmpty()) {
      problem.put("errors", error.errorsJson());
    }
    String requestId = RequestIdHandler.of(rc);
    if (requestId != null) {
      problem.put("requestId", requestId);
    }
    if (error.retryAfterSeconds() > 0 && !rc.response().headWritten()) {
      rc.response().putHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
    }
    Responses.problem(rc, error.status(), problem);
  }

  static ApiError toApiError(Throwable failure, int statusCode) {
    if (failure instanceof ApiError api) {
      return api;
    }
    if (failure instanceof HttpException http) {
      if (http.getCause() instanceof ValidatorException validation) {
        return ApiError.invalid(fieldErrors(validation));
      }
      return byStatus(http.getStatusCode(), http.getPayload());
    }
    if (isUnavailable(failure)) {
      return ApiError.unavailable("A service this request needs is unavailable; try again shortly.");
    }
    if (failure == null) {
      return byStatus(statusCode, null);
    }
    return new ApiError(500, "internal_error", "The server failed to handle the request.", List.of());
  }

  private static ApiError byStatus(int status, String payload) {
    return switch (status) {
      case 400 -> ApiError.invalid("body", payload == null ? "is not valid JSON" : payload);
      case 401 -> ApiError.unauthenticated("A valid bearer token is required.");
      case 403 -> ApiError.forbidden("You may not do this.");
      case 404 -> ApiError.notFound("No such resource.");
      case 405 -> new ApiError(405, "method_not_allowed", "This method is not allowed on this resource.", List.of());
      case 413 -> new ApiError(413, "payload_too_large", "The request body is too large.", List.of());
      case 415 -> new ApiError(415, "unsupported_media_type", "Send the body as application/json.", List.of());
      case 503 -> ApiError.unavailable("The service is unavailable; try again shortly.");
      default -> status >= 400 && status < 500
          ? new ApiError(status, "bad_request", "The request cannot be served.", List.of())
          : new ApiError(500, "internal_error", "The server failed to handle the request.", List.of());
    };
  }

  /** A database or network dependency that is down or saturated: the client may retry. */
  static boolean isUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof ConnectTimeoutException || t instanceof TimeoutException
          || t instanceof IOException) {
        return true;
      }
      // 57014: statement_timeout cancelled the query; 25P03: idle_in_transaction_session_timeout ended the session
      if (t instanceof PgException pg && pg.getSqlState() != null
          && (pg.getSqlState().startsWith("08") || pg.getSqlState().startsWith("57P") || pg.getSqlState().equals("53300")
              || pg.getSqlState().equals("57014") || pg.getSqlState().equals("25P03"))) {
        return true;
      }
      if (t instanceof VertxException v && v.getMessage() != null) {
        String m = v.getMessage().toLowerCase();
        if (m.contains("closed") || m.contains("timeout") || m.contains("max wait queue") || m.contains("connection")) {
          return true;
        }
      }
      if (t.getClass().getName().startsWith("io.vertx.sqlclient") && t.getMessage() != null
          && t.getMessage().toLowerCase().contains("closed")) {
        return true;
      }
    }
    return false;
  }

  static List<FieldError> fieldErrors(ValidatorException e) {
    List<FieldError> errors = new ArrayList<>();
    if (e instanceof SchemaValidationException schema && schema.getOutputUnit() != null) {
      Matcher param = PARAMETER.matcher(e.getMessage());
      String paramName = param.find() ? param.group(1) : null;
      Map<String, List<String>> byField = new LinkedHashMap<>();
      for (OutputUnit unit : leaves(schema.getOutputUnit())) {
        String field = paramName != null ? paramName : field(unit);
        String message = unit.getError() == null ? "is invalid" : unit.getError();
        List<String> messages = byField.computeIfAbsent(field, f -> new ArrayList<>());
        if (!messages.contains(message)) {
          messages.add(message);
        }
      }
      byField.forEach((field, messages) -> mostSpecific(messages).forEach(m -> errors.add(new FieldError(field, m))));
    }
    if (errors.isEmpty()) {
      Matcher param = PARAMETER.matcher(String.valueOf(e.getMessage()));
      errors.add(new FieldError(param.find() ? param.group(1) : "body", String.valueOf(e.getMessage())));
    }
    return errors;
  }

  /**
   * The schema validator reports a wrong value at several levels: the value itself ("Instance type number is
   * invalid"), then wrappers ("Property x does not match schema", "... additional properties schema",
   * "Instance does not match \"then\" schema"). Keep the
   * specific messages; a field with only the additional-properties complaint is an unknown field.
   */
  private static List<String> mostSpecific(List<String> messages) {
    List<String> specific = messages.stream().filter(m -> !isWrapper(m)).toList();
    if (!specific.isEmpty()) {
      return specific;
    }
    return messages.stream().anyMatch(m -> m.contains("additional properties"))
        ? List.of("is not a field of this request")
        : List.of(messages.get(0));
  }

  private static boolean isWrapper(String message) {
    return message.contains("does not match additional properties schema") || message.endsWith("does not match schema")
        || CONDITIONAL.matcher(message).matches();
  }

  private static List<OutputUnit> leaves(OutputUnit unit) {
    List<OutputUnit> out = new ArrayList<>();
    if (unit.getErrors() == null || unit.getErrors().isEmpty()) {
      if (unit.getError() != null) {
        out.add(unit);
      }
      return out;
    }
    for (OutputUnit child : unit.getErrors()) {
      out.addAll(leaves(child));
    }
    return out;
  }

  /** JSON pointer of the offending value, as a dotted field name; a missing property is named by its message. */
  private static String field(OutputUnit unit) {
    String location = unit.getInstanceLocation() == null ? "" : unit.getInstanceLocation();
    String field = location.replaceFirst("^#?/?", "").replace('/', '.');
    String error = unit.getError() == null ? "" : unit.getError();
    if (error.contains("required property") || error.contains("additional property")
        || error.contains("Property") || error.contains("property")) {
      Matcher quoted = QUOTED.matcher(error);
      if (quoted.find()) {
        String name = quoted.group(1);
        if (field.isEmpty()) {
          return name;
        }
        return field.equals(name) || field.endsWith("." + name) ? field : field + "." + name;
      }
    }
    return field.isEmpty() ? "body" : field;
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 429 -> "Too Many Requests";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Error";
    };
  }

  private static String describe(Throwable t) {
    return t == null ? "-" : t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
