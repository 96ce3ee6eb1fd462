package validation;

import handlers.ProblemHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import logging.RequestIdHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import web.ContractLoader;
import web.Cursor;
import web.JsonContentType;
import web.Requests;
import web.StorableText;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

/**
 * The compiled validators of the hot operations answer exactly as vertx-openapi's interpreter does. Two servers
 * are built from the same openapi.yaml, with the service's own front handlers (content type, body limit), its
 * contract-route handlers (StorableText) and its ProblemHandler: one validates every operation with the
 * interpreter, the other installs the compiled validators the way HttpVerticle does. Each request below goes to
 * both; status, content type and body (minus the request id) must be equal. At the end of each chain a handler
 * answers with what the real handlers read through {@link Requests}, so accepted requests must also hand the
 * handlers the same values.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompiledValidationParityTest {

  private static final String EVENT = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f";
  private static final String MEMBER = "2b7e4c1a-5d6f-4e8a-9b0c-1d2e3f4a5b6c";
  private static final String CURSOR = new Cursor(OffsetDateTime.parse("2027-01-01T10:00:00Z"),
      UUID.fromString(EVENT)).encode();

  private Vertx vertx;
  private HttpClient client;
  private int interpreted;
  private int compiled;

  /** One request, sent as is (the URI is not re-encoded). */
  record Case(String name, HttpMethod method, String uri, Map<String, String> headers, byte[] body) {
    @Override
    public String toString() {
      return name;
    }
  }

  record Answer(int status, String contentType, String body) {
    /** The body without the request id, which differs between any two requests. */
    Object comparable() {
      try {
        JsonObject json = new JsonObject(body);
        json.remove("requestId");
        return json;
      } catch (DecodeException e) {
        return body;
      }
    }
  }

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    // A connection per request, idle ones dropped, and room for many: a refusal sent before the body was read
    // (413, 415) must not hold a pooled connection the next request then waits for.
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setIdleTimeout(5),
        new PoolOptions().setHttp1MaxSize(64));
    OpenAPIContract contract = await(ContractLoader.load(vertx, "openapi.yaml"));
    interpreted = await(serve(contract, false));
    compiled = await(serve(contract, true));
  }

  @AfterAll
  void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private Future<Integer> serve(OpenAPIContract contract, boolean compiledValidation) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    builder.getRoutes().forEach(route -> route.setDoSecurity(false));
    if (compiledValidation) {
      CompiledValidation.install(builder, contract);
    }
    StorableText storableText = new StorableText();
    builder.getRoute("createBooking").addHandler(storableText).addHandler(rc -> echo(rc, CompiledValidationParityTest::booking));
    builder.getRoute("getEvent").addHandler(storableText).addHandler(rc -> echo(rc, CompiledValidationParityTest::event));
    builder.getRoute("listEvents").addHandler(storableText).addHandler(rc -> echo(rc, CompiledValidationParityTest::events));
    ProblemHandler problems = new ProblemHandler();
    Router api = builder.createRouter();
    api.route().failureHandler(problems);
    Router root = Router.router(vertx);
    root.route().handler(new RequestIdHandler());
    root.route().handler(new JsonContentType());
    root.route().handler(BodyHandler.create(false).setBodyLimit(65536));
    root.route().subRouter(api);
    root.route().failureHandler(problems);
    root.errorHandler(404, problems);
    root.errorHandler(405, problems);
    root.errorHandler(413, problems);
    root.errorHandler(500, problems);
    return vertx.createHttpServer().requestHandler(root).listen(0, "127.0.0.1").map(HttpServer::actualPort);
  }

  /** What the booking handler reads, the way it reads it. */
  private static JsonObject booking(RoutingContext rc) {
    JsonObject body = Requests.body(rc);
    return new JsonObject().put("eventId", UUID.fromString(body.getString("eventId")).toString())
        .put("memberId", body.getString("memberId"));
  }

  private static JsonObject event(RoutingContext rc) {
    return new JsonObject().put("id", Requests.pathId(rc).toString());
  }

  private static JsonObject events(RoutingContext rc) {
    Cursor cursor = Requests.cursor(rc);
    return new JsonObject().put("from", String.valueOf(Requests.queryTime(rc, "from")))
        .put("to", String.valueOf(Requests.queryTime(rc, "to")))
        .put("trainerId", String.valueOf(Requests.queryUuid(rc, "trainerId")))
        .put("status", Requests.query(rc, "status"))
        .put("cursor", cursor == null ? null : cursor.encode())
        .put("limit", Requests.limit(rc));
  }

  private static void echo(RoutingContext rc, Function<RoutingContext, JsonObject> read) {
    JsonObject answer = read.apply(rc).put("validated", validated(rc));
    rc.response().putHeader("content-type", "application/json").end(answer.encode());
  }

  /** Every value of the validated request, with its Java type. */
  private static JsonObject validated(RoutingContext rc) {
    ValidatedRequest request = rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    return new JsonObject().put("path", values(request.getPathParameters())).put("query", values(request.getQuery()))
        .put("headers", values(request.getHeaders())).put("cookies", values(request.getCookies()))
        .put("body", describe(request.getBody()));
  }

  private static JsonObject values(Map<String, RequestParameter> parameters) {
    JsonObject out = new JsonObject();
    new TreeMap<>(parameters).forEach((name, value) -> out.put(name, describe(value)));
    return out;
  }

  private static String describe(RequestParameter value) {
    return value == null ? "absent" : value.isNull() ? "null"
        : value.get().getClass().getSimpleName() + ":" + value.get();
  }

  // ----- the cases ----------------------------------------------------------------------------------

  /** Requests every path must refuse (or, where the interpreter accepts them, accept) alike. */
  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // createBooking: bodies
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("empty object", "{}");
    bodies.put("eventId a number", "{\"eventId\":5}");
    bodies.put("eventId a fraction", "{\"eventId\":5.5}");
    bodies.put("eventId huge number", "{\"eventId\":123456789012345678901234567890}");
    bodies.put("eventId 1e400", "{\"eventId\":1e400}");
    bodies.put("eventId null", "{\"eventId\":null}");
    bodies.put("eventId true", "{\"eventId\":true}");
    bodies.put("eventId an array", "{\"eventId\":[\"" + EVENT + "\"]}");
    bodies.put("eventId an object", "{\"eventId\":{\"id\":\"" + EVENT + "\"}}");
    bodies.put("eventId empty", "{\"eventId\":\"\"}");
    bodies.put("eventId not a uuid", "{\"eventId\":\"not-a-uuid\"}");
    bodies.put("eventId one digit short", "{\"eventId\":\"" + EVENT.substring(1) + "\"}");
    bodies.put("eventId with NUL", "{\"eventId\":\"Spin\\u0000class\"}");
    bodies.put("eventId 10,000 characters", "{\"eventId\":\"" + "x".repeat(10_000) + "\"}");
    bodies.put("memberId not a uuid", "{\"eventId\":\"" + EVENT + "\",\"memberId\":\"12345\"}");
    bodies.put("memberId null", "{\"eventId\":\"" + EVENT + "\",\"memberId\":null}");
    bodies.put("memberId a lone surrogate", "{\"eventId\":\"" + EVENT + "\",\"memberId\":\"\\ud800\"}");
    bodies.put("unknown field", "{\"eventId\":\"" + EVENT + "\",\"seatNumber\":7}");
    bodies.put("unknown field with a space", "{\"eventId\":\"" + EVENT + "\",\"seat number\":7}");
    bodies.put("unknown field with / and ~", "{\"eventId\":\"" + EVENT + "\",\"a/b~c\":7}");
    bodies.put("unknown field not ASCII", "{\"eventId\":\"" + EVENT + "\",\"pl\u00e4tze\":7}");
    bodies.put("unknown field named with NUL", "{\"eventId\":\"" + EVENT + "\",\"a\\u0000b\":7}");
    bodies.put("several wrong fields", "{\"eventId\":5,\"memberId\":6,\"extra\":1,\"more\":null}");
    bodies.put("only memberId", "{\"memberId\":\"" + MEMBER + "\"}");
    bodies.put("an array", "[]");
    bodies.put("an array of the body", "[{\"eventId\":\"" + EVENT + "\"}]");
    bodies.put("null", "null");
    bodies.put("a string", "\"" + EVENT + "\"");
    bodies.put("a number", "5");
    bodies.put("true", "true");
    bodies.put("whitespace", "   ");
    bodies.put("malformed", "{\"eventId\":\"" + EVENT + "\"");
    bodies.put("trailing garbage", "{\"eventId\":\"" + EVENT + "\"} x");
    bodies.put("not JSON", "eventId=" + EVENT);
    bodies.forEach((name, json) -> cases.add(post("createBooking " + name, json, "application/json")));
    cases.add(post("createBooking empty body", "", "application/json"));
    cases.add(new Case("createBooking no body, no content type", HttpMethod.POST, "/v1/bookings", Map.of(), null));
    cases.add(post("createBooking text/plain", "{\"eventId\":\"" + EVENT + "\"}", "text/plain"));
    cases.add(post("createBooking form", "eventId=" + EVENT, "application/x-www-form-urlencoded"));
    cases.add(post("createBooking upper-case JSON type", "{\"eventId\":\"" + EVENT + "\"}", "APPLICATION/JSON"));
    cases.add(post("createBooking vendor JSON type", "{\"eventId\":\"" + EVENT + "\"}", "application/vnd.roster+json"));
    cases.add(post("createBooking over the body limit",
        "{\"eventId\":\"" + EVENT + "\",\"padding\":\"" + "y".repeat(65 * 1024) + "\"}", "application/json"));
    byte[] notUtf8 = ("{\"eventId\":\"" + EVENT + "\",\"memberId\":\"\u0000\"}").getBytes(StandardCharsets.UTF_8);
    notUtf8[notUtf8.length - 3] = (byte) 0xC3;
    cases.add(new Case("createBooking not UTF-8", HttpMethod.POST, "/v1/bookings",
        Map.of("Content-Type", "application/json"), notUtf8));
    for (String key : List.of("", "k".repeat(256), "%00", "%22")) {
      cases.add(new Case("createBooking Idempotency-Key '" + abbreviate(key) + "'", HttpMethod.POST, "/v1/bookings",
          Map.of("Content-Type", "application/json", "Idempotency-Key", key),
          ("{\"eventId\":\"" + EVENT + "\"}").getBytes(StandardCharsets.UTF_8)));
    }
    // getEvent: the path
    for (String id : List.of("not-a-uuid", "123", "1.5", "-1", "true", "null", "%20", EVENT + "%0A", "%00", EVENT + "x", "%5B1%5D", "%7B%7D", "%22abc%22", "%22", "x".repeat(2_000), "%F0%9F%98%80",
        "%C3%28", "a%2Fb", EVENT.toUpperCase().replace('F', 'g'), "+" + EVENT)) {
      cases.add(get("getEvent id " + abbreviate(id), "/v1/events/" + id));
    }
    // listEvents: the query
    for (String query : List.of("limit=0", "limit=101", "limit=1000", "limit=-1", "limit=abc", "limit=1.5", "limit=",
        "limit=%20", "limit=%225%22", "limit=true", "limit=null", "limit=%5B1%5D", "limit=%7B%7D",
        "limit=99999999999999999999999", "limit=1e400", "limit=abc&limit=5", "limit=0x10",
        "status=deleted", "status=", "status=SCHEDULED", "status=1",
        "trainerId=not-a-uuid", "trainerId=", "trainerId=" + EVENT + "%250A",
        "cursor=!!!", "cursor=", "cursor=abc%00", "cursor=abc%250A", "cursor=" + "c".repeat(600),
        "cursor=a+b", "cursor=" + CURSOR.substring(0, 10), "cursor=eyJ4IjoxfQ",
        "from=garbage", "from=" + "x".repeat(2_000), "from=%00", "from=2027-01-01T00:00:00Z%00",
        "to=2027-02-30T18:00:00Z", "from=2027-01-01", "limit=0&status=deleted&trainerId=x&cursor=!")) {
      cases.add(get("listEvents " + abbreviate(query), "/v1/events?" + query));
    }
    return cases;
  }

  /** Requests both paths must accept, handing the handlers the same values. */
  static List<Case> valid() {
    List<Case> cases = new ArrayList<>();
    cases.add(post("createBooking eventId", "{\"eventId\":\"" + EVENT + "\"}", "application/json"));
    cases.add(post("createBooking both ids", "{\"eventId\":\"" + EVENT + "\",\"memberId\":\"" + MEMBER + "\"}",
        "application/json"));
    cases.add(post("createBooking upper-case ids", "{\"eventId\":\"" + EVENT.toUpperCase() + "\",\"memberId\":\""
        + MEMBER.toUpperCase() + "\"}", "application/json; charset=utf-8"));
    cases.add(new Case("createBooking with an Idempotency-Key", HttpMethod.POST, "/v1/bookings",
        Map.of("Content-Type", "application/json", "Idempotency-Key", "k".repeat(255)),
        ("{\"eventId\":\"" + EVENT + "\"}").getBytes(StandardCharsets.UTF_8)));
    cases.add(post("createBooking a key twice: the last one counts", "{\"eventId\":\"x\",\"eventId\":\"" + EVENT
        + "\"}", "application/json"));
    cases.add(new Case("createBooking an Idempotency-Key read URL-decoded", HttpMethod.POST, "/v1/bookings",
        Map.of("Content-Type", "application/json", "Idempotency-Key", "a%2Bb+c"),
        ("{\"eventId\":\"" + EVENT + "\"}").getBytes(StandardCharsets.UTF_8)));
    cases.add(get("getEvent", "/v1/events/" + EVENT));
    cases.add(get("getEvent upper case", "/v1/events/" + EVENT.toUpperCase()));
    for (String query : List.of("", "limit=1", "limit=100", "limit=1.0", "limit=1e2", "limit=%2B5", "status=scheduled",
        "status=cancelled", "trainerId=" + MEMBER, "cursor=" + CURSOR, "from=2027-01-01T00:00:00Z",
        "from=2027-01-01T00:00:00%2B01:00&to=2027-02-01T00:00:00Z", "unknown=1", "limit=5&limit=abc",
        "status=%22scheduled%22", "cursor=" + CURSOR + "&cursor=!!!",
        "limit=20&status=scheduled&trainerId=" + MEMBER + "&cursor=" + CURSOR)) {
      cases.add(get("listEvents " + query, "/v1/events" + (query.isEmpty() ? "" : "?" + query)));
    }
    return cases;
  }

  /**
   * Bad input the interpreter lets through to a 500: a UUID its format rule takes but no handler can parse
   * ({@code urn:uuid:} prefix, a final line break), and a value it cannot URL-decode (it throws outside the future
   * it answers 400 from). The compiled path answers these with its usual 400, naming the field.
   */
  static Map<Case, JsonObject> interpreterFailures() {
    JsonObject badUuid = new JsonObject().put("message", "String does not match format \"uuid\"");
    Map<Case, JsonObject> cases = new LinkedHashMap<>();
    cases.put(post("createBooking eventId as a urn", "{\"eventId\":\"urn:uuid:" + EVENT + "\"}", "application/json"),
        badUuid.copy().put("field", "eventId"));
    cases.put(post("createBooking eventId with a final line break", "{\"eventId\":\"" + EVENT + "\\n\"}",
        "application/json"), badUuid.copy().put("field", "eventId"));
    cases.put(get("getEvent id as a urn", "/v1/events/urn:uuid:" + EVENT), badUuid.copy().put("field", "id"));
    cases.put(get("listEvents trainerId as a urn", "/v1/events?trainerId=urn:uuid:" + EVENT),
        badUuid.copy().put("field", "trainerId"));
    cases.put(get("listEvents cursor not URL-decodable", "/v1/events?cursor=%25zz"), new JsonObject()
        .put("field", "cursor").put("message", "The value of query parameter cursor can't be decoded."));
    cases.put(new Case("createBooking Idempotency-Key not URL-decodable", HttpMethod.POST, "/v1/bookings",
        Map.of("Content-Type", "application/json", "Idempotency-Key", "%zz"),
        ("{\"eventId\":\"" + EVENT + "\"}").getBytes(StandardCharsets.UTF_8)), new JsonObject()
        .put("field", "Idempotency-Key").put("message", "The value of header parameter Idempotency-Key can't be decoded."));
    return cases;
  }

  private static Case post(String name, String json, String contentType) {
    return new Case(name, HttpMethod.POST, "/v1/bookings", Map.of("Content-Type", contentType),
        json.getBytes(StandardCharsets.UTF_8));
  }

  private static Case get(String name, String uri) {
    return new Case(name, HttpMethod.GET, uri, Map.of(), null);
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s;
  }

  // ----- the tests ----------------------------------------------------------------------------------

  @TestFactory
  Stream<DynamicTest> badInputGetsTheSameAnswerFromBothPaths() {
    return cases().stream().map(c -> dynamicTest(c.name(), () -> {
      Answer expected = send(interpreted, c);
      Answer actual = send(compiled, c);
      assertThat(expected.status()).as(c + ": " + expected).isBetween(400, 499);
      assertThat(actual.status()).as(c + ": interpreter " + expected + ", compiled " + actual)
          .isEqualTo(expected.status());
      assertThat(actual.contentType()).as(c.name()).isEqualTo(expected.contentType());
      assertThat(actual.comparable()).as(c + ": interpreter " + expected + ", compiled " + actual)
          .isEqualTo(expected.comparable());
    }));
  }

  @TestFactory
  Stream<DynamicTest> validInputIsAcceptedByBothPathsWithTheSameValues() {
    return valid().stream().map(c -> dynamicTest(c.name(), () -> {
      Answer expected = send(interpreted, c);
      Answer actual = send(compiled, c);
      assertThat(expected.status()).as(c + ": " + expected).isEqualTo(200);
      assertThat(actual.status()).as(c + ": " + actual).isEqualTo(200);
      assertThat(actual.comparable()).as(c.name()).isEqualTo(expected.comparable());
    }));
  }

  @TestFactory
  Stream<DynamicTest> whereTheInterpreterFailsTheCompiledPathNamesTheField() {
    return interpreterFailures().entrySet().stream().map(e -> dynamicTest(e.getKey().name(), () -> {
      Answer interpreter = send(interpreted, e.getKey());
      Answer actual = send(compiled, e.getKey());
      assertThat(interpreter.status()).as(e.getKey() + ": interpreter " + interpreter).isGreaterThanOrEqualTo(400);
      assertThat(actual.status()).as(e.getKey() + ": " + actual).isEqualTo(400);
      JsonObject problem = new JsonObject(actual.body());
      assertThat(problem.getString("code")).isEqualTo("validation_failed");
      assertThat(problem.getJsonArray("errors").getList()).as(actual.toString()).containsExactly(e.getValue().getMap());
    }));
  }

  /**
   * Sends the case; an exchange that stalls (seen a few times on a machine loaded far past its cores, on either
   * path) is abandoned after 10 s without data and sent again, up to twice: the answers compared are the
   * servers', not the transport's.
   */
  private Answer send(int port, Case c) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return await(exchange(port, c));
      } catch (ExecutionException | TimeoutException e) {
        if (attempt == 3) {
          throw e;
        }
      }
    }
  }

  private Future<Answer> exchange(int port, Case c) {
    return client.request(new RequestOptions().setMethod(c.method()).setHost("127.0.0.1").setPort(port)
            .setURI(c.uri()).setIdleTimeout(10_000))
        .compose(request -> {
          c.headers().forEach(request::putHeader);
          return c.body() == null ? request.send() : request.send(Buffer.buffer(c.body()));
        })
        .compose(response -> response.body().map(body -> new Answer(response.statusCode(),
            response.getHeader("content-type"), body.toString(StandardCharsets.UTF_8))));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
