package ops;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP server's series on /metrics after known requests: the names, labels and label values vertx-micrometer
 * gave them (dashboards and alerts read them), counted once per answer, the early refusals (414, 431: before any
 * routing) and the unmatched paths with an empty route, and the response times in the fixed buckets.
 */
class HttpServerMetersTest extends ApiTestBase {

  private String text;

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_RATE_ANONYMOUS_LIMIT", "2"); // the third request without a token is a 429
  }

  @BeforeAll
  void requestThenScrape() throws Exception {
    createEvent(5, 0);
    assertThat(api.get("/v1/events", admin.token()).status()).isEqualTo(200);
    assertThat(api.get("/v1/events", admin.token()).status()).isEqualTo(200);
    assertThat(api.get("/v1/events/" + UUID.randomUUID(), admin.token()).status()).isEqualTo(404);
    assertThat(api.get("/v1/nothing-here", admin.token()).status()).isEqualTo(404);
    assertThat(api.get("/v1/events?limit=abc", admin.token()).status()).isEqualTo(400);
    assertThat(Stream.generate(() -> api.get("/v1/events", null).status()).limit(3)).containsExactly(401, 401, 429);
    assertThat(raw("GET /" + "x".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")).contains(" 414 ");
    assertThat(raw("GET /v1/events HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(20_000) + "\r\n\r\n"))
        .contains(" 431 ");
    Api.Res res = api.call("GET", "/metrics").send();
    assertThat(res.status()).isEqualTo(200);
    text = res.raw().body();
  }

  @Test
  void everyAnswerIsCountedOnceByRouteMethodAndCode() {
    assertThat(lines("vertx_http_server_requests_total{")).containsExactlyInAnyOrder(
        requests("201", "POST", "/v1/members", 2), // the admin and the trainer of the test base
        requests("201", "POST", "/v1/events", 1),
        requests("200", "GET", "/v1/events", 2),
        requests("400", "GET", "/v1/events", 1),
        requests("404", "GET", "/v1/events/:id", 1),
        requests("404", "GET", "", 1),
        requests("401", "GET", "", 2),
        requests("429", "GET", "", 1),
        requests("414", "GET", "", 1),
        requests("431", "GET", "", 1));
  }

  @Test
  void responseTimesHaveTheFixedBuckets() {
    String labels = "code=\"200\",method=\"GET\",route=\"/v1/events\"";
    List<String> bounds = lines("vertx_http_server_response_time_seconds_bucket{" + labels + ",").stream()
        .map(l -> l.substring(l.indexOf("le=\"") + 4, l.indexOf("\"}"))).toList();
    assertThat(bounds).containsExactlyElementsOf(Stream.concat(Arrays.stream(ServiceMeters.LATENCY_BUCKETS)
        .map(d -> String.valueOf(d.toNanos() / 1e9)), Stream.of("+Inf")).toList());
    assertThat(lines("vertx_http_server_response_time_seconds_bucket{" + labels + ",le=\"+Inf\"}"))
        .containsExactly("vertx_http_server_response_time_seconds_bucket{" + labels + ",le=\"+Inf\"} 2");
    assertThat(lines("vertx_http_server_response_time_seconds_count{" + labels + "}"))
        .containsExactly("vertx_http_server_response_time_seconds_count{" + labels + "} 2");
  }

  @Test
  void theOtherHttpServerSeriesAreThoseVertxExported() {
    assertThat(lines("# TYPE vertx_http_server_")).containsExactlyInAnyOrder(
        "# TYPE vertx_http_server_active_connections gauge",
        "# TYPE vertx_http_server_active_requests gauge",
        "# TYPE vertx_http_server_bytes_read_total counter",
        "# TYPE vertx_http_server_bytes_written_total counter",
        "# TYPE vertx_http_server_errors_total counter",
        "# TYPE vertx_http_server_request_bytes summary",
        "# TYPE vertx_http_server_request_bytes_max gauge",
        "# TYPE vertx_http_server_requests_total counter",
        "# TYPE vertx_http_server_response_bytes summary",
        "# TYPE vertx_http_server_response_bytes_max gauge",
        "# TYPE vertx_http_server_response_time_seconds histogram",
        "# TYPE vertx_http_server_response_time_seconds_max gauge");
    // by method only: the early refusals' requests never end, so Vert.x never counted them out (2); and this scrape
    assertThat(lines("vertx_http_server_active_requests{")).containsExactlyInAnyOrder(
        "vertx_http_server_active_requests{method=\"GET\"} 3.0",
        "vertx_http_server_active_requests{method=\"POST\"} 0.0");
    assertThat(lines("vertx_http_server_request_bytes_count{")).containsExactlyInAnyOrder(
        "vertx_http_server_request_bytes_count{method=\"GET\"} 8",
        "vertx_http_server_request_bytes_count{method=\"POST\"} 3");
    assertThat(lines("vertx_http_server_response_bytes_count{")).hasSize(10)
        .contains("vertx_http_server_response_bytes_count{code=\"201\",method=\"POST\",route=\"/v1/events\"} 1");
  }

  private static String requests(String code, String method, String route, int count) {
    return "vertx_http_server_requests_total{code=\"%s\",method=\"%s\",route=\"%s\"} %d.0"
        .formatted(code, method, route, count);
  }

  private List<String> lines(String prefix) {
    return text.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  /** The status line of a request written as is: the test client would refuse to send these. */
  private String raw(String request) throws Exception {
    URI uri = URI.create(app.baseUrl());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readNBytes(32), StandardCharsets.US_ASCII);
    }
  }
}
