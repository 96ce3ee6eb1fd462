package launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command: `java -jar target/roster-service.jar start-dev` on a machine with only Java. */
class DevModeIT {

  @Test
  void startDevServesTheApiWithThePrintedTokens() throws Exception {
    int port = freePort();
    try (JarProcess service = JarProcess.start(Map.of("ROSTER_HTTP_PORT", String.valueOf(port)), "start-dev")) {
      String first = service.awaitLine(line -> !line.isBlank(), Duration.ofSeconds(30));
      assertThat(first).contains("DEVELOPMENT MODE");

      String admin = tokenOf(service.awaitLine(l -> l.startsWith("  admin "), Duration.ofSeconds(180)));
      String trainer = tokenOf(service.awaitLine(l -> l.startsWith("  trainer "), Duration.ofSeconds(5)));
      String member = tokenOf(service.awaitLine(l -> l.startsWith("  member "), Duration.ofSeconds(5)));
      assertThat(trainer).isNotBlank();
      assertThat(service.output()).anyMatch(l -> l.contains("embedded PostgreSQL"));

      Api api = new Api("http://127.0.0.1:" + port);
      Api.Res me = api.get("/v1/members/me", member);
      assertThat(me.status()).as(me.toString()).isEqualTo(200);
      assertThat(me.json().getString("email")).isEqualTo("member@roster.dev");

      // the README's walk-through: create an event, book it, see the roster
      Instant start = Instant.now().plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
      Api.Res event = api.post("/v1/events", admin, new JsonObject().put("title", "Morning yoga")
          .put("startsAt", start.toString()).put("endsAt", start.plus(1, ChronoUnit.HOURS).toString())
          .put("capacity", 12));
      assertThat(event.status()).as(event.toString()).isEqualTo(201);
      String eventId = event.json().getString("id");
      Api.Res booking = api.post("/v1/bookings", member, new JsonObject().put("eventId", eventId));
      assertThat(booking.status()).as(booking.toString()).isEqualTo(201);
      assertThat(booking.json().getString("status")).isEqualTo("confirmed");
      Api.Res roster = api.get("/v1/events/" + eventId + "/roster", admin);
      assertThat(roster.json().getJsonArray("confirmed")).hasSize(1);

      List<ProcessHandle> children = service.descendants();
      // Ctrl-C or SIGTERM drains and exits 0 (start-dev waits for no load balancer: no delay)
      assertThat(service.stop(Duration.ofSeconds(30))).isEqualTo(0);
      // the embedded PostgreSQL went down with the service, after it: nothing failed on the way out
      assertThat(children).allMatch(p -> !p.isAlive());
      assertThat(service.output()).as("the log of the stop").noneMatch(l -> l.contains(" ERROR "));
    }
  }

  private static String tokenOf(String line) {
    return line.trim().split("\\s+")[1];
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
