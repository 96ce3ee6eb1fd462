package logging;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;
import support.LogCapture;
import support.NotificationTestBase;
import support.RosterApp;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One line per request on roster.access, with the route as openapi.yaml names it (never the ids in the path), the
 * status, duration, bytes, the caller's member id and the request id; written also when the client goes away.
 */
class AccessLogTest extends ApiTestBase {

  @Test
  void aMembersRequestIsOneLineWithItsRouteTemplateAndMemberId() {
    Person member = member();
    String eventId = createEvent(5, 0).getString("id");
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      Api.Res res = api.call("GET", "/v1/events/" + eventId).token(member.token()).header("X-Request-Id", "acc-1")
          .send();
      assertThat(res.status()).isEqualTo(200);

      JsonObject line = onlyAccessLine(logs, "acc-1");
      assertThat(line.getString("level")).isEqualTo("INFO");
      assertThat(line.getString("method")).isEqualTo("GET");
      assertThat(line.getString("route")).isEqualTo("/v1/events/{id}");
      assertThat(line.getInteger("status")).isEqualTo(200);
      assertThat(line.getLong("duration_ms")).isNotNegative();
      assertThat(line.getLong("bytes")).isEqualTo(res.raw().body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      assertThat(line.getString("member_id")).isEqualTo(member.id());
      assertThat(line.encode()).doesNotContain(eventId);
      assertThat(line.getString("message")).isEqualTo("GET /v1/events/{id} 200 " + line.getLong("duration_ms") + " ms "
          + line.getLong("bytes") + " B member=" + member.id());
    }
  }

  @Test
  void bookingsDecidedInOneBatchAreEachLoggedWithTheirOwnRequestId() throws Exception {
    String eventId = createEvent(50, 0).getString("id");
    List<Person> members = java.util.stream.IntStream.range(0, 24).mapToObj(i -> member()).toList();
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      // at once, so that the coalescer decides several in one batch and answers them from one callback
      var pool = java.util.concurrent.Executors.newFixedThreadPool(members.size());
      try {
        List<java.util.concurrent.Future<Integer>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
          Person member = members.get(i);
          String requestId = "acc-book-" + i;
          sent.add(pool.submit(() -> api.call("POST", "/v1/bookings").token(member.token())
              .header("X-Request-Id", requestId).json(new JsonObject().put("eventId", eventId)).send().status()));
        }
        for (var status : sent) {
          assertThat(status.get()).isEqualTo(201);
        }
      } finally {
        pool.shutdownNow();
      }
      for (int i = 0; i < members.size(); i++) {
        JsonObject line = onlyAccessLine(logs, "acc-book-" + i);
        assertThat(line.getString("route")).isEqualTo("/v1/bookings");
        assertThat(line.getInteger("status")).isEqualTo(201);
        assertThat(line.getString("member_id")).as("the line of acc-book-" + i).isEqualTo(members.get(i).id());
      }
    }
  }

  @Test
  void refusalsAreLoggedWithTheirStatusAndTheRouteTheyWereFor() {
    String someId = UUID.randomUUID().toString();
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      api.call("GET", "/v1/events/" + someId).header("X-Request-Id", "acc-401").send();
      api.call("POST", "/v1/events").token(admin.token()).header("X-Request-Id", "acc-400")
          .json(new JsonObject().put("title", 7)).send();
      api.call("GET", "/v1/no/such/" + someId).token(admin.token()).header("X-Request-Id", "acc-404").send();

      JsonObject unauthenticated = onlyAccessLine(logs, "acc-401");
      assertThat(unauthenticated.getInteger("status")).isEqualTo(401);
      assertThat(unauthenticated.getString("route")).isEqualTo("/v1/events/{id}");
      assertThat(unauthenticated.fieldNames()).doesNotContain("member_id");

      JsonObject invalid = onlyAccessLine(logs, "acc-400");
      assertThat(invalid.getInteger("status")).isEqualTo(400);
      assertThat(invalid.getString("route")).isEqualTo("/v1/events");
      assertThat(invalid.getString("member_id")).isEqualTo(admin.id());

      JsonObject unknown = onlyAccessLine(logs, "acc-404");
      assertThat(unknown.getInteger("status")).isEqualTo(404);
      assertThat(unknown.getString("route")).as("no route matched: the raw path").isEqualTo("/v1/no/such/" + someId);
    }
  }

  @Test
  void aClientThatHangsUpMidRequestStillGetsItsLine() throws Exception {
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      // a body announced but never sent in full: the connection closes while the service waits for it
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", app.port())) {
        socket.getOutputStream().write(("POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Request-Id: acc-gone\r\n"
            + "Authorization: Bearer " + admin.token() + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: 500\r\n\r\n{\"title\":").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        Thread.sleep(200); // let the request reach the service before the connection goes
      }
      JsonObject line = onlyAccessLine(logs, "acc-gone");
      assertThat(line.getBoolean("aborted")).isTrue();
      assertThat(line.getString("route")).isEqualTo("/v1/events");
    }
  }

  @Test
  void probesThatSucceedAreNotInfoLines() {
    try (LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      api.call("GET", "/health/live").header("X-Request-Id", "acc-live").send();
      api.call("GET", "/openapi.yaml").header("X-Request-Id", "acc-contract").send();

      // written in order: once the contract's line is there, the probe's would be too
      assertThat(onlyAccessLine(logs, "acc-contract").getString("route")).isEqualTo("/openapi.yaml");
      assertThat(accessLines(logs, "acc-live")).as("a kubelet's probe, at the default level").isEmpty();
    }
  }

  @Test
  void opsCanTurnItOff() {
    try (RosterApp quiet = RosterApp.start(db, issuer, Map.of("ROSTER_LOG_ACCESS", "false"));
         LogCapture logs = LogCapture.encoded(LogFormat.JSON)) {
      Api quietApi = new Api(quiet.baseUrl());
      Api.Res res = quietApi.call("GET", "/v1/events").token(admin.token()).header("X-Request-Id", "acc-off").send();
      assertThat(res.status()).isEqualTo(200);
      assertThat(res.header("X-Request-Id")).as("the request id stays").isEqualTo("acc-off");
      // the service that does log, called after it, as a marker: its line there means the quiet one's would be too
      api.call("GET", "/v1/events").token(admin.token()).header("X-Request-Id", "acc-marker").send();
      onlyAccessLine(logs, "acc-marker");
      assertThat(accessLines(logs, "acc-off")).isEmpty();
    }
  }

  private static List<JsonObject> accessLines(LogCapture logs, String requestId) {
    return logs.jsonLines().stream().filter(l -> AccessLog.LOGGER.equals(l.getString("logger"))
        && requestId.equals(l.getString("request_id"))).toList();
  }

  /** The request's one access line: written as the response ends, so maybe just after the client has it. */
  private static JsonObject onlyAccessLine(LogCapture logs, String requestId) {
    NotificationTestBase.eventually(Duration.ofSeconds(10), "the access line of " + requestId,
        () -> !accessLines(logs, requestId).isEmpty());
    List<JsonObject> lines = accessLines(logs, requestId);
    assertThat(lines).as("access lines of " + requestId + " in\n" + logs.output()).hasSize(1);
    return lines.get(0);
  }
}
