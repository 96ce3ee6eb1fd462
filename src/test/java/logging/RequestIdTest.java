package logging;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import support.Api;
import support.ApiTestBase;
import support.LogCapture;
import support.RosterApp;
import support.TcpProxy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * X-Request-Id: the client's kept when sane, else one made by the service; on every answer (2xx, 4xx, 429, 503, the
 * ops routes) and in every problem body; and on the log lines written while serving the request.
 */
class RequestIdTest extends ApiTestBase {

  private static final String MADE = "[0-9a-f]{32}";

  @Override
  protected Map<String, String> serviceSettings() {
    // a small budget for requests without a token, so that a 429 is a few requests away
    return Map.of("ROSTER_RATE_ANONYMOUS_LIMIT", "4", "ROSTER_RATE_ANONYMOUS_WINDOW_SECONDS", "3600");
  }

  @Test
  void aSaneIdIsKeptOnSuccessesAndProblems() {
    String id = "client-7f3a:retry.2_b";
    Api.Res ok = api.call("GET", "/v1/events").token(admin.token()).header("X-Request-Id", id).send();
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.header("X-Request-Id")).isEqualTo(id);

    Api.Res invalid = api.call("POST", "/v1/events").token(admin.token()).header("X-Request-Id", id)
        .json(new JsonObject().put("title", "no times")).send();
    assertProblem(invalid, 400, "validation_failed");
    assertThat(invalid.header("X-Request-Id")).isEqualTo(id);
    assertThat(invalid.json().getString("requestId")).isEqualTo(id);
  }

  @Test
  void withoutOneEachRequestGetsItsOwn() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      Api.Res res = api.get("/v1/events", admin.token());
      assertThat(res.header("X-Request-Id")).matches(MADE);
      ids.add(res.header("X-Request-Id"));
    }
    assertThat(ids).hasSize(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "0123456789012345678901234567890123456789012345678901234567890123X", // 65 characters
      "has space", "quote\"d", "<script>", "semi;colon", "abc%0d%0aSet-Cookie:x", "ünïcode", "tab\there"})
  void anIdOfAnotherShapeIsReplaced(String given) {
    Api.Res res = api.call("GET", "/v1/events").token(admin.token()).header("X-Request-Id", given).send();
    assertThat(res.status()).isEqualTo(200);
    assertThat(res.header("X-Request-Id")).matches(MADE);
  }

  @Test
  void theLongestSaneIdIsKept() {
    String id = "a".repeat(RequestIdHandler.MAX_LENGTH);
    assertThat(api.call("GET", "/v1/events").token(admin.token()).header("X-Request-Id", id).send()
        .header("X-Request-Id")).isEqualTo(id);
  }

  @Test
  void aLineBreakSmuggledIntoTheHeaderNeverComesBack() throws Exception {
    // obsolete line folding: the parser joins the continuation to the value, which then holds a space
    String folded = exchange(app.port(), "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\n"
        + " Set-Cookie: evil=1\r\nConnection: close\r\n\r\n");
    // a bare CR inside the value
    String bareCr = exchange(app.port(), "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\rSet-Cookie: evil=1"
        + "\r\nConnection: close\r\n\r\n");
    assertThat(folded).startsWith("HTTP/1.1 200").containsPattern("(?i)x-request-id: " + MADE + "\r\n")
        .doesNotContainIgnoringCase("Set-Cookie");
    // the HTTP parser itself refuses it, before any handler
    assertThat(bareCr).startsWith("HTTP/1.1 400").doesNotContainIgnoringCase("Set-Cookie");
  }

  @Test
  void theOpsRoutesAndEveryRefusalCarryIt() {
    for (String path : List.of("/health/live", "/health/ready", "/health", "/metrics", "/openapi.yaml")) {
      assertThat(api.call("GET", path).header("X-Request-Id", "ops-1").send().header("X-Request-Id"))
          .as(path).isEqualTo("ops-1");
    }
    problemCarriesId(api.call("GET", "/v1/nothing-here").token(admin.token()), 404, "not_found");
    problemCarriesId(api.call("DELETE", "/v1/events").token(admin.token()), 405, "method_not_allowed");
    problemCarriesId(api.call("POST", "/v1/events").token(admin.token()).raw("text/plain", "hello"), 415,
        "unsupported_media_type");
    problemCarriesId(api.call("POST", "/v1/events").token(admin.token())
        .json("{\"title\":\"" + "x".repeat(70_000) + "\"}"), 413, "payload_too_large");
    problemCarriesId(api.call("GET", "/v1/events/" + UUID.randomUUID()).token(member().token()), 404, "not_found");
    // without a token: 401 until the anonymous budget is spent, then 429
    for (int i = 0; i < 4; i++) {
      problemCarriesId(api.call("GET", "/v1/events"), 401, "unauthenticated");
    }
    Api.Res limited = problemCarriesId(api.call("GET", "/v1/events"), 429, "rate_limited");
    assertThat(limited.header("Retry-After")).isNotNull();
  }

  @Test
  void whenTheDatabaseIsGoneAndWhileStoppingThe503sCarryItAndSoDoTheLogLines() throws Exception {
    URI target = URI.create(db.url());
    try (TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort() == -1 ? 5432 : target.getPort());
         RosterApp second = RosterApp.start(db, issuer, Map.of("ROSTER_PG_URL", proxy.url(db.url()),
             "ROSTER_PG_CONNECT_TIMEOUT_MS", "1000", "ROSTER_PG_WAIT_TIMEOUT_MS", "2000",
             "ROSTER_SHUTDOWN_DELAY_MS", "60000"));
         LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      Api secondApi = new Api(second.baseUrl());
      proxy.cut();
      Api.Res unavailable = problemCarriesId(secondApi.call("GET", "/v1/events/" + UUID.randomUUID())
          .token(admin.token()), 503, "unavailable");
      String id = unavailable.header("X-Request-Id");
      // the warning written after the database call failed, on another turn of the event loop, names the request
      assertThat(logs.jsonLines()).filteredOn(l -> "WARN".equals(l.getString("level"))
              && l.getString("message").contains("unavailable"))
          .isNotEmpty().allMatch(l -> id.equals(l.getString("request_id")));
      proxy.forward();

      CompletableFuture<Void> stopping = second.shutdown();
      try {
        Api.Res ready = secondApi.call("GET", "/health/ready").header("X-Request-Id", "stopping-1").send();
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.header("X-Request-Id")).isEqualTo("stopping-1");
      } finally {
        stopping.cancel(false);
      }
    }
  }

  private Api.Res problemCarriesId(Api.Call call, int status, String code) {
    String id = "p-" + UUID.randomUUID();
    Api.Res res = call.header("X-Request-Id", id).send();
    assertProblem(res, status, code);
    assertThat(res.header("X-Request-Id")).as(res.toString()).isEqualTo(id);
    assertThat(res.json().getString("requestId")).as(res.toString()).isEqualTo(id);
    return res;
  }

  /** One request written byte for byte; the response's head and body as text. */
  static String exchange(int port, String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      in.transferTo(response);
      return response.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
