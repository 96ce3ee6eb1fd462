package web;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import web.ApiError.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Refuses, with 400 naming the field, text that passed the contract but cannot be stored: the NUL character
 * (PostgreSQL's text and jsonb reject it, which would surface as a 500) and unpaired surrogates (not Unicode;
 * the driver would silently write '?' instead). Runs first on every operation, after validation and before
 * anything (idempotency keys included) is written, over the body, its nested objects' keys, and the parameters.
 */
public final class StorableText implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext rc) {
    ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    if (request == null || isStorable(request)) {
      // the usual case, checked without building a field name or a list
      rc.next();
      return;
    }
    List<FieldError> errors = new ArrayList<>();
    parameters(request.getPathParameters(), errors);
    parameters(request.getQuery(), errors);
    parameters(request.getHeaders(), errors);
    RequestParameter body = request.getBody();
    if (body != null && !body.isNull()) {
      value(body.get(), "", errors);
    }
    if (errors.isEmpty()) {
      rc.next();
    } else {
      rc.fail(ApiError.invalid(errors));
    }
  }

  private static boolean isStorable(ValidatedRequest request) {
    RequestParameter body = request.getBody();
    return isStorable(request.getPathParameters()) && isStorable(request.getQuery())
        && isStorable(request.getHeaders()) && (body == null || body.isNull() || isStorable(body.get()));
  }

  private static boolean isStorable(Map<String, RequestParameter> params) {
    if (params != null) {
      for (RequestParameter p : params.values()) {
        if (p != null && !p.isNull() && !isStorable(p.get())) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean isStorable(Object value) {
    if (value instanceof String s) {
      return problem(s) == null;
    }
    if (value instanceof JsonObject object) {
      return isStorable(object.getMap());
    }
    if (value instanceof JsonArray array) {
      return isStorable(array.getList());
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (!(e.getKey() instanceof String key && problem(key) == null) || !isStorable(e.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!isStorable(item)) {
          return false;
        }
      }
    }
    return true;
  }

  private static void parameters(Map<String, RequestParameter> params, List<FieldError> errors) {
    if (params != null) {
      params.forEach((name, p) -> {
        if (p != null && !p.isNull()) {
          value(p.get(), name, errors);
        }
      });
    }
  }

  private static void value(Object value, String field, List<FieldError> errors) {
    if (value instanceof String s) {
      String problem = problem(s);
      if (problem != null) {
        errors.add(new FieldError(field.isEmpty() ? "body" : field, problem));
      }
    } else if (value instanceof JsonObject object) {
      object.forEach(e -> {
        String problem = problem(e.getKey());
        if (problem != null) {
          errors.add(new FieldError(field.isEmpty() ? "body" : field, "has a property name that " + problem));
        } else {
          value(e.getValue(), field.isEmpty() ? e.getKey() : field + "." + e.getKey(), errors);
        }
      });
    } else if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        value(array.getValue(i), field.isEmpty() ? String.valueOf(i) : field + "." + i, errors);
      }
    }
  }

  /** What makes the text unstorable, or null. */
  static String problem(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\u0000') {
        return "must not contain the NUL character (U+0000)";
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "must be valid Unicode (it holds an unpaired surrogate)";
      }
    }
    return null;
  }
}
