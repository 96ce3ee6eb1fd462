package auth;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;
import support.Crowd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JWKS cache is shared by every HTTP verticle of a node. When the issuer rotates its key, the first verticle
 * that meets the new kid fetches the JWKS and the others join that fetch: each request must still continue on its
 * own verticle's event loop (where its pools and booking coalescer live), and none may hang.
 */
class JwksRefreshLoopTest extends ApiTestBase {

  private static final int MEMBERS = 400;
  private static final String CROSS_LOOP = "roster_cross_loop_continuations_total";

  @Override
  protected Map<String, String> serviceSettings() {
    // four loops; every unknown kid may refresh at once, so the refresh happens during the burst
    return Map.of("ROSTER_HTTP_INSTANCES", "4", "ROSTER_OIDC_JWKS_REFRESH_SECONDS", "0");
  }

  @Test
  void bookingsThatWaitOnOneJwksRefreshEachContinueOnTheirOwnLoop() throws Exception {
    String eventId = createEvent(MEMBERS, 0).getString("id");
    issuer.rotate();
    // tokens signed with the new key: no verticle knows its kid yet
    List<Crowd> members = Crowd.insert(db, issuer, "rotated", MEMBERS);
    issuer.slowJwks(1500); // the one refresh stays in flight while the burst arrives on all four loops
    int fetchesBefore = issuer.jwksRequests();

    List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
    for (Crowd m : members) {
      calls.add(api.call("POST", "/v1/bookings").token(m.token()).json(new JsonObject().put("eventId", eventId))
          .sendAsync());
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    issuer.slowJwks(0);

    for (CompletableFuture<Api.Res> call : calls) {
      Api.Res res = call.get();
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      assertThat(res.json().getString("status")).isEqualTo("confirmed");
    }
    assertThat(issuer.jwksRequests() - fetchesBefore).as("JWKS fetches for the new kid").isGreaterThanOrEqualTo(1);
    assertThat(db.count("SELECT count(*) FROM bookings WHERE event_id = ?::uuid AND status = 'confirmed'", eventId))
        .isEqualTo(MEMBERS);
    assertThat(db.count("SELECT booked_count FROM events WHERE id = ?::uuid", eventId)).isEqualTo(MEMBERS);

    String metrics = api.call("GET", "/metrics").send().raw().body();
    for (String at : List.of("authentication", "booking_coalescer")) {
      assertThat(series(metrics, at)).as("continuations that resumed on another verticle's loop, at " + at)
          .isEqualTo(0.0);
    }
  }

  /** The counter's value at this place; fails when the series is not exported at all. */
  private static double series(String metrics, String at) {
    List<Double> values = metrics.lines()
        .filter(l -> l.startsWith(CROSS_LOOP + "{") && l.contains("at=\"" + at + "\""))
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).toList();
    assertThat(values).as(CROSS_LOOP + " at " + at + " is exported").hasSize(1);
    return values.get(0);
  }
}
