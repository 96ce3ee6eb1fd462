package validation;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.RequestBody;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatedRequest;
import io.vertx.openapi.validation.ValidationContext;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation's parameters and request body, compiled. {@link #validate} reads a request the way
 * vertx-openapi 5.0.7 does (the same extraction, URL decoding, string-to-JSON transformation, order of checks and
 * exceptions, so ProblemHandler answers alike) and returns the same {@link ValidatedRequest}, which
 * {@code web.Requests} and StorableText read. What differs is the price: no schema is interpreted, no worker
 * thread is borrowed, and the common values (ids, times, words) skip the interpreter's JSON parse attempt.
 */
final class CompiledOperation {

  private final List<CompiledParameter> parameters;
  /** Null when the operation takes no body. */
  private final CompiledBody body;

  private CompiledOperation(List<CompiledParameter> parameters, CompiledBody body) {
    this.parameters = parameters;
    this.body = body;
  }

  static CompiledOperation compile(Operation operation) {
    List<CompiledParameter> parameters = new ArrayList<>();
    for (Parameter parameter : operation.getParameters()) {
      parameters.add(CompiledParameter.compile(operation, parameter));
    }
    RequestBody requestBody = operation.getRequestBody();
    return new CompiledOperation(parameters,
        requestBody == null ? null : CompiledBody.compile(operation.getOperationId(), requestBody));
  }

  /** @throws ValidatorException as the interpreter would throw it, for the router to answer 400 */
  ValidatedRequest validate(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    Map<String, RequestParameter> headers = Map.of();
    Map<String, RequestParameter> path = Map.of();
    Map<String, RequestParameter> query = Map.of();
    for (CompiledParameter parameter : parameters) {
      RequestParameter value = parameter.validate(request);
      switch (parameter.in) {
        case HEADER -> headers = with(headers, parameter.name, value);
        case PATH -> path = with(path, parameter.name, value);
        default -> query = with(query, parameter.name, value);
      }
    }
    return new Validated(headers, path, query, body == null ? Value.NULL : body.validate(rc));
  }

  private static Map<String, RequestParameter> with(Map<String, RequestParameter> map, String name,
                                                    RequestParameter value) {
    Map<String, RequestParameter> out = map.isEmpty() ? new HashMap<>(8) : map;
    out.put(name, value);
    return out;
  }

  /** The top of an interpreter's result: invalid, with the errors in order. */
  private static OutputUnit result(List<OutputUnit> errors) {
    return new OutputUnit(false).setErrors(errors).setErrorType(errors.isEmpty() ? null : errors.get(0).getErrorType());
  }

  // ----- parameters -----------------------------------------------------------------------------------

  private static final class CompiledParameter {
    private final Parameter parameter;
    private final Location in;
    private final String name;
    private final boolean isString;
    /** For a path parameter: its segment in the path template, counted from 1. */
    private final int segment;
    private final Schema schema;

    private CompiledParameter(Parameter parameter, int segment, Schema schema) {
      this.parameter = parameter;
      this.in = parameter.getIn();
      this.name = parameter.getName();
      this.isString = parameter.getSchemaType() == SchemaType.STRING;
      this.segment = segment;
      this.schema = schema;
    }

    static CompiledParameter compile(Operation operation, Parameter parameter) {
      String where = operation.getOperationId() + " " + parameter.getIn().name().toLowerCase() + " parameter "
          + parameter.getName();
      if (parameter.getIn() == Location.COOKIE || parameter.getSchemaType() == SchemaType.OBJECT
          || parameter.getSchemaType() == SchemaType.ARRAY) {
        throw new UncompilableSchemaException("openapi.yaml, " + where + ": only primitive path, query and header "
            + "parameters are compiled; take the operation out of CompiledValidation.OPERATIONS");
      }
      int segment = 0;
      if (parameter.getIn() == Location.PATH) {
        String template = operation.getAbsoluteOpenAPIPath();
        String placeholder = "{" + parameter.getName() + "}";
        segment = (int) template.substring(0, template.indexOf(placeholder)).chars().filter(c -> c == '/').count();
      }
      return new CompiledParameter(parameter, segment, SchemaCompiler.compile(json(parameter.getSchema()), where));
    }

    RequestParameter validate(HttpServerRequest request) {
      String raw = raw(request);
      if (raw == null) {
        if (parameter.isRequired()) {
          throw ValidatorException.createMissingRequiredParameter(parameter);
        }
        return Value.NULL;
      }
      Object value;
      try {
        value = transform(raw);
      } catch (DecodeException e) {
        throw ValidatorException.createCantDecodeValue(parameter);
      }
      List<OutputUnit> errors = new ArrayList<>(0);
      if (schema.validate(value, "#", errors) != null) {
        throw SchemaValidationException.createErrorFromOutputUnitType(parameter, result(errors), null);
      }
      return new Value(value);
    }

    /**
     * The interpreter's decoding of every parameter value. A value it cannot decode escapes its validation as a
     * 500 (the exception is thrown outside the future it answers 400 from); here it is the 400 the interpreter
     * gives a value it cannot parse, naming the parameter.
     */
    private String decodeUrl(String encoded) {
      try {
        return encoded == null ? null : URLDecoder.decode(encoded, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw ValidatorException.createCantDecodeValue(parameter);
      }
    }

    /** The value as the interpreter extracts it: the first one, URL-decoded once more than Vert.x did. */
    private String raw(HttpServerRequest request) {
      return switch (in) {
        case HEADER -> decodeUrl(request.getHeader(name));
        case PATH -> {
          String[] segments = request.path().substring(1).split("/");
          yield segments.length < segment ? null : decodeUrl(segments[segment - 1]);
        }
        default -> {
          List<String> values = request.params().getAll(name);
          yield values.isEmpty() ? null : decodeUrl(values.get(0));
        }
      };
    }

    /**
     * The interpreter's reading of a text value: a word stays a string for a string parameter, anything else
     * is parsed as JSON ("5" is a number, "true" a boolean), and what does not parse is read as a quoted string.
     * Values that cannot parse as JSON and quote to themselves (ids, times) are returned at once.
     */
    private Object transform(String raw) {
      if (isString && (isWord(raw) || quotesToItself(raw))) {
        return raw;
      }
      try {
        return Json.decodeValue(raw);
      } catch (DecodeException e) {
        if (raw.isEmpty()) {
          return raw;
        }
        if (raw.charAt(0) == '"') {
          throw e;
        }
        return transform("\"" + raw + "\"");
      }
    }
  }

  /** [A-Za-z0-9_]+, the interpreter's {@code \w+}. */
  static boolean isWord(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  /**
   * True only for text that is certainly not JSON and holds nothing a JSON string would escape, so that the
   * interpreter's two parse attempts end with the text itself: a UUID, or letters, digits and {@code -:._} that
   * start with a letter no JSON literal starts with, or with a digit and hold a letter that no number holds
   * (2027-01-01T10:00:00Z).
   */
  static boolean quotesToItself(String s) {
    if (s.isEmpty()) {
      return false;
    }
    boolean notNumeric = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
      if (!(letter || c >= '0' && c <= '9' || c == '-' || c == ':' || c == '.' || c == '_')) {
        return false;
      }
      notNumeric |= letter && c != 'e' && c != 'E' || c == ':' || c == '_';
    }
    char first = s.charAt(0);
    if (first >= '0' && first <= '9') {
      return notNumeric;
    }
    boolean letter = first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z';
    return letter && "tfnNI".indexOf(first) < 0 || isUuid(s);
  }

  private static boolean isUuid(String s) {
    if (s.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }

  // ----- the body -------------------------------------------------------------------------------------

  private static final class CompiledBody {
    private final RequestBody requestBody;
    /** By media type as the contract names it (only application/json is compiled). */
    private final Map<String, Schema> schemas;

    private CompiledBody(RequestBody requestBody, Map<String, Schema> schemas) {
      this.requestBody = requestBody;
      this.schemas = schemas;
    }

    static CompiledBody compile(String operationId, RequestBody requestBody) {
      Map<String, Schema> schemas = new HashMap<>();
      requestBody.getContent().forEach((type, media) -> {
        if (!MediaType.APPLICATION_JSON.equals(media.getIdentifier()) || media.getSchema() == null) {
          throw new UncompilableSchemaException("openapi.yaml, " + operationId + " request body: only an "
              + "application/json body with a schema is compiled, not " + type);
        }
        schemas.put(media.getIdentifier(), SchemaCompiler.compile(json(media.getSchema()),
            operationId + " request body"));
      });
      return new CompiledBody(requestBody, Map.copyOf(schemas));
    }

    RequestParameter validate(RoutingContext rc) {
      Buffer buffer = rc.body().buffer();
      if (buffer == null || buffer.length() == 0) {
        if (requestBody.isRequired()) {
          throw new ValidatorException("The related request does not contain the required body.",
              ValidatorErrorType.MISSING_REQUIRED_PARAMETER);
        }
        return Value.NULL;
      }
      Schema schema = schema(rc.request().headers().get(HttpHeaders.CONTENT_TYPE));
      if (schema == null) {
        throw new ValidatorException("The format of the " + ValidationContext.REQUEST + " body is not supported",
            ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT);
      }
      Object value;
      try {
        value = Json.decodeValue(buffer);
      } catch (DecodeException e) {
        throw new ValidatorException("The " + ValidationContext.REQUEST + " body can't be decoded",
            ValidatorErrorType.ILLEGAL_VALUE);
      }
      List<OutputUnit> errors = new ArrayList<>(0);
      if (schema.validate(value, "#", errors) != null) {
        throw SchemaValidationException.createInvalidValueBody(result(errors), ValidationContext.REQUEST, null);
      }
      return new Value(value);
    }

    /** The schema for this Content-Type, matched by the contract's own rule (prefix, whitespace ignored). */
    private Schema schema(String contentType) {
      if (contentType == null) {
        return null;
      }
      Schema exact = schemas.get(contentType);
      if (exact != null) {
        return exact;
      }
      MediaType media = requestBody.determineContentType(contentType);
      return media == null ? null : schemas.get(media.getIdentifier());
    }
  }

  /** The schema's JSON as the contract resolved it. */
  private static Object json(JsonSchema schema) {
    io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject();
    schema.fieldNames().forEach(name -> json.put(name, schema.get(name)));
    return json;
  }

  // ----- what the handlers read -----------------------------------------------------------------------

  /** One validated value. */
  private static final class Value implements RequestParameter {
    static final Value NULL = new Value(null);
    private final Object value;

    Value(Object value) {
      this.value = value;
    }

    @Override
    public Object get() {
      return value;
    }

    @Override
    public String toString() {
      return String.valueOf(value);
    }
  }

  private record Validated(Map<String, RequestParameter> headers, Map<String, RequestParameter> path,
                           Map<String, RequestParameter> query, RequestParameter body) implements ValidatedRequest {
    Validated {
      headers = Collections.unmodifiableMap(headers);
      path = Collections.unmodifiableMap(path);
      query = Collections.unmodifiableMap(query);
    }

    @Override
    public Map<String, RequestParameter> getCookies() {
      return Map.of();
    }

    @Override
    public Map<String, RequestParameter> getPathParameters() {
      return path;
    }

    @Override
    public Map<String, RequestParameter> getQuery() {
      return query;
    }

    @Override
    public Map<String, RequestParameter> getHeaders() {
      return headers;
    }

    @Override
    public RequestParameter getBody() {
      return body;
    }
  }
}
