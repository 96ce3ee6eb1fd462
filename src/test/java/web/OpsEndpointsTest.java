package web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The routes ops and integrators use without a token: health, metrics, the contract and its docs. */
class OpsEndpointsTest extends ApiTestBase {

  private static final Pattern ROUTE = Pattern.compile("route=\"([^\"]*)\"");

  /**
   * Java's own HTTP client (and many others) first asks a plain-text server to upgrade to HTTP/2 (h2c): every
   * answer must still come whole, whatever the size of the body.
   */
  @Test
  void clientsThatAskForHttp2UpgradeGetWholeAnswers() throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient(); // HTTP/2 first: asks to upgrade
    for (int i = 0; i < 20; i++) {
      for (String path : List.of("/metrics", "/health/live", "/v1/events")) {
        java.net.http.HttpResponse<String> res = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.baseUrl() + path)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(path).isIn(200, 401);
        assertThat(res.headers().firstValue("X-Request-Id")).as(path).isPresent();
      }
      assertThat(client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.baseUrl() + "/metrics"))
          .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body()).contains("jvm_info").endsWith("\n");
    }
  }

  @Test
  void liveNeedsNoTokenAndIsUp() {
    Api.Res res = api.call("GET", "/health/live").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.contentType()).startsWith("application/json");
    assertThat(res.json().getString("status")).isEqualTo("UP");
  }

  @Test
  void readyNeedsNoTokenAndReportsTheDatabaseUp() {
    Api.Res res = api.call("GET", "/health/ready").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getString("status")).isEqualTo("UP");
    JsonArray checks = res.json().getJsonArray("checks");
    assertThat(checks).as(res.toString()).isNotNull();
    JsonObject database = checks.stream().map(JsonObject.class::cast)
        .filter(c -> "database".equals(c.getString("id"))).findFirst().orElse(null);
    assertThat(database).as("a database check in " + res).isNotNull();
    assertThat(database.getString("status")).isEqualTo("UP");
  }

  @Test
  void metricsCountBookingsByOutcome() {
    JsonObject event = createEvent(1, 0);
    String metricsBefore = metrics();
    double confirmedBefore = counter(metricsBefore, "roster_bookings_total", "outcome", "confirmed");
    double fullBefore = counter(metricsBefore, "roster_bookings_total", "outcome", "event_full");

    assertThat(book(member(), event.getString("id")).status()).isEqualTo(201);
    assertProblem(book(member(), event.getString("id")), 409, "event_full");

    String text = metrics();
    assertThat(text).contains("# TYPE roster_bookings_total counter");
    assertThat(counter(text, "roster_bookings_total", "outcome", "confirmed")).isEqualTo(confirmedBefore + 1);
    assertThat(counter(text, "roster_bookings_total", "outcome", "event_full")).isEqualTo(fullBefore + 1);
  }

  @Test
  void metricsAreServedAsPrometheusTextWithoutAToken() {
    Api.Res res = api.call("GET", "/metrics").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.contentType()).startsWith("text/plain");
    assertThat(res.raw().body()).contains("# HELP ").contains("# TYPE ");
  }

  @Test
  void httpServerMetricsAreLabelledByTemplatedRoute() {
    String eventId = createEvent(5, 0).getString("id");
    assertThat(api.get("/v1/events/" + eventId, admin.token()).status()).isEqualTo(200);

    String text = metrics();
    List<String> routes = routeLabels(text, "GET", "200");
    assertThat(routes).as("route labels of GET 200 in " + serverLines(text))
        .anySatisfy(r -> assertThat(r).contains("/v1/events/:id"));
    assertThat(text).as("no raw id in any label").doesNotContain(eventId).doesNotContain(admin.id());
  }

  @Test
  void routeLabelIsTheOperationPathAloneWhateverTheOutcome() {
    // One endpoint, one route label: GET /v1/events/{id} counts under "/v1/events/:id" whether it answers
    // 200 or 404, so a dashboard can take the error rate of the route.
    String eventId = createEvent(5, 0).getString("id");
    assertThat(api.get("/v1/events/" + eventId, admin.token()).status()).isEqualTo(200);
    assertThat(api.get("/v1/events/" + UUID.randomUUID(), admin.token()).status()).isEqualTo(404);

    String text = metrics();
    assertThat(routeLabels(text, "GET", "200")).as(serverLines(text).toString()).contains("/v1/events/:id");
    assertThat(routeLabels(text, "GET", "404")).as(serverLines(text).toString()).contains("/v1/events/:id");
  }

  @Test
  void poolMetricsArePublished() {
    assertThat(api.get("/v1/events", admin.token()).status()).isEqualTo(200);
    String text = metrics();
    List<String> poolLines = text.lines().filter(l -> l.startsWith("vertx_pool_")).toList();
    assertThat(poolLines).as("vertx_pool_* series").isNotEmpty();
    assertThat(poolLines).as("the PostgreSQL pool's series")
        .anySatisfy(l -> assertThat(l).contains("pool_type=\"sql\"").contains("pool_name=\"roster-pg-"));
  }

  @Test
  void openapiYamlIsTheContract() throws IOException {
    Api.Res res = api.call("GET", "/openapi.yaml").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.contentType()).containsIgnoringCase("yaml");
    String body = res.raw().body();
    assertThat(body).contains("openapi: 3.1").contains("operationId: createBooking");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("openapi.yaml")) {
      assertThat(in).as("openapi.yaml on the class path").isNotNull();
      assertThat(body).as("the published file, unchanged").isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void docsServeSwaggerUiFromTheServiceItself() {
    Api.Res page = api.call("GET", "/docs").send();
    assertThat(page.status()).as(page.toString()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    String html = page.raw().body();
    assertThat(html).contains("/docs/swagger-ui-bundle.js").contains("/openapi.yaml");
    assertThat(html).as("no CDN").doesNotContain("http://").doesNotContain("https://").doesNotContain("//unpkg")
        .doesNotContain("//cdn");

    Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(html);
    int seen = 0;
    while (refs.find()) {
      String ref = refs.group(1);
      assertThat(ref).as("an asset served by the service").startsWith("/docs/");
      Api.Res asset = api.call("GET", ref).send();
      assertThat(asset.status()).as(ref + " -> " + asset.status()).isEqualTo(200);
      seen++;
    }
    assertThat(seen).isGreaterThanOrEqualTo(1);

    Api.Res bundle = api.call("GET", "/docs/swagger-ui-bundle.js").send();
    assertThat(bundle.status()).isEqualTo(200);
    assertThat(bundle.contentType()).contains("javascript");
    assertThat(bundle.raw().body()).contains("SwaggerUIBundle").hasSizeGreaterThan(100_000);
  }

  @Test
  void opsRoutesIgnoreABadToken() {
    // ops endpoints need no token, and a stale one must not break a probe
    assertThat(api.call("GET", "/health/ready").token("not-a-jwt").send().status()).isEqualTo(200);
    assertThat(api.call("GET", "/metrics").token("not-a-jwt").send().status()).isEqualTo(200);
  }

  private static List<String> serverLines(String text) {
    return text.lines().filter(l -> l.startsWith("vertx_http_server_requests_total{")).toList();
  }

  /** The route label of every HTTP server request series with this method and status code. */
  private static List<String> routeLabels(String text, String method, String code) {
    return serverLines(text).stream()
        .filter(l -> l.contains("method=\"" + method + "\"") && l.contains("code=\"" + code + "\""))
        .map(l -> {
          Matcher m = ROUTE.matcher(l);
          return m.find() ? m.group(1) : "(no route label)";
        }).toList();
  }

  private String metrics() {
    Api.Res res = api.call("GET", "/metrics").send();
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.raw().body();
  }

  /** The value of the series {@code name{... label="value" ...}}, or 0 when it is absent. */
  private static double counter(String text, String name, String label, String value) {
    String needle = label + "=\"" + value + "\"";
    return text.lines().filter(l -> l.startsWith(name + "{") && l.contains(needle))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
