package ratelimit;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import support.Api;
import support.ApiTestBase;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Rate limits with their default values, as a client sees them: headers, 429 problems, the refusal counter. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RateLimitTest extends ApiTestBase {

  private static final String STATE = "\"%s\";r=\\d+;t=\\d+";

  @Test
  @Order(1)
  void everyAnswerNamesItsPolicyAndWhatIsLeft() {
    Person m = member();
    String eventId = createEvent(5, 0).getString("id");

    Api.Res read = api.get("/v1/events/" + eventId, m.token());
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.header("RateLimit-Policy")).isEqualTo("\"read\";q=600;w=60");
    assertThat(read.header("RateLimit")).matches(STATE.formatted("read"));

    Api.Res booked = book(m, eventId);
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    assertThat(booked.header("RateLimit-Policy")).isEqualTo("\"booking\";q=60;w=600");
    assertThat(booked.header("RateLimit")).isEqualTo("\"booking\";r=59;t=10");

    Api.Res patched = api.patch("/v1/members/" + m.id(), m.token(), new JsonObject().put("name", "Renamed"));
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
    assertThat(patched.header("RateLimit-Policy")).isEqualTo("\"write\";q=120;w=60");

    Api.Res byAdmin = api.get("/v1/members/" + m.id(), admin.token());
    assertThat(byAdmin.header("RateLimit-Policy")).isEqualTo("\"admin\";q=3000;w=60");

    Api.Res missing = api.get("/v1/bookings/" + java.util.UUID.randomUUID(), m.token());
    assertProblem(missing, 404, "not_found");
    assertThat(missing.header("RateLimit")).matches(STATE.formatted("read"));

    Api.Res anonymous = api.get("/v1/events", null);
    assertProblem(anonymous, 401, "unauthenticated");
    assertThat(anonymous.header("RateLimit-Policy")).isEqualTo("\"anonymous\";q=60;w=60");
    assertThat(anonymous.header("RateLimit")).matches(STATE.formatted("anonymous"));
  }

  @Test
  @Order(2)
  void aBookAndCancelLoopIsStoppedAfterItsBudget() {
    Person looper = member();
    String eventId = createEvent(10, 0).getString("id");
    Api.Res last = null;
    int served = 0;
    String bookingId = null;
    while (served < 100) {
      last = bookingId == null ? book(looper, eventId) : api.delete("/v1/bookings/" + bookingId, looper.token());
      if (last.status() == 429) {
        break;
      }
      assertThat(last.status()).as(last.toString()).isIn(200, 201);
      bookingId = bookingId == null ? last.json().getString("id") : null;
      served++;
    }
    // 60 at once, then one every 10 s: a loop a few seconds long gets at most one more
    assertThat(served).isBetween(60, 61);
    assertProblem(last, 429, "rate_limited");
    assertThat(Integer.parseInt(last.header("Retry-After"))).isBetween(1, 10);
    assertThat(last.header("RateLimit")).matches("\"booking\";r=0;t=\\d+");
    assertThat(last.header("RateLimit-Policy")).isEqualTo("\"booking\";q=60;w=600");
    assertThat(db.count("SELECT count(*) FROM bookings WHERE member_id = ?::uuid", looper.id()))
        .isLessThanOrEqualTo(31);

    // other classes of operation have budgets of their own, and other members are untouched
    assertThat(api.get("/v1/events/" + eventId, looper.token()).status()).isEqualTo(200);
    assertThat(book(member(), eventId).status()).isEqualTo(201);

    assertThat(metrics()).containsPattern("roster_rate_limited_total\\{[^}]*policy=\"booking\"[^}]*\\} [1-9]");
  }

  @Test
  @Order(3)
  void badTokensFromOneAddressAreRefusedAfterTheAnonymousBudget() {
    Api.Res last = null;
    int unauthenticated = 0;
    while (unauthenticated < 100) {
      // a made-up X-Forwarded-For changes nothing: 127.0.0.1 is not a trusted proxy here
      last = api.call("GET", "/v1/events").header("Authorization", "Bearer not.a.token")
          .header("X-Forwarded-For", "203.0.113." + unauthenticated).send();
      if (last.status() == 429) {
        break;
      }
      assertProblem(last, 401, "unauthenticated");
      unauthenticated++;
    }
    // the first test spent one of the 60 without a token
    assertThat(unauthenticated).isBetween(55, 61);
    assertProblem(last, 429, "rate_limited");
    assertThat(last.header("Retry-After")).isNotNull();
    assertThat(last.header("RateLimit")).matches("\"anonymous\";r=0;t=\\d+");
    assertThat(api.get("/v1/events", null).code()).isEqualTo("rate_limited");

    // a caller with a valid token has its own budget, whatever its address
    assertThat(api.get("/v1/events", member().token()).status()).isEqualTo(200);
    assertThat(metrics()).containsPattern("roster_rate_limited_total\\{[^}]*policy=\"anonymous\"[^}]*\\} [1-9]");
  }

  private String metrics() {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(app.baseUrl() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
