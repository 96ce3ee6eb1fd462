package ratelimit;

import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** ROSTER_RATE_ENABLED=false (a benchmark, a gateway that limits already): no limits and no RateLimit fields. */
class RateLimitOffTest extends ApiTestBase {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_RATE_ENABLED", "false", "ROSTER_RATE_ANONYMOUS_LIMIT", "1");
  }

  @Test
  void nothingIsLimitedOrLabelled() {
    for (int i = 0; i < 5; i++) {
      Api.Res res = api.get("/v1/events", null);
      assertProblem(res, 401, "unauthenticated");
      assertThat(res.header("RateLimit")).isNull();
    }
    assertThat(api.get("/v1/events", member().token()).header("RateLimit-Policy")).isNull();
  }
}
