package ratelimit;

import org.junit.jupiter.api.Test;
import support.Api;
import support.ApiTestBase;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Behind a trusted proxy, callers without a valid token are counted by the address X-Forwarded-For names. */
class TrustedProxyTest extends ApiTestBase {

  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_RATE_TRUSTED_PROXIES", "127.0.0.0/8, ::1", "ROSTER_RATE_ANONYMOUS_LIMIT", "3");
  }

  @Test
  void eachForwardedClientHasItsOwnBudgetAndTheProxyChainIsWalkedFromTheRight() {
    for (int i = 0; i < 3; i++) {
      assertProblem(anonymous("198.51.100.7"), 401, "unauthenticated");
    }
    Api.Res refused = anonymous("198.51.100.7");
    assertProblem(refused, 429, "rate_limited");
    assertThat(refused.header("RateLimit-Policy")).isEqualTo("\"anonymous\";q=3;w=60");

    // another client behind the same proxy is not affected
    assertProblem(anonymous("198.51.100.8"), 401, "unauthenticated");
    // what the client wrote itself (left of the address our proxy saw) does not let it escape
    assertProblem(anonymous("10.9.9.9, 198.51.100.7"), 429, "rate_limited");
    // a trusted hop on the right is skipped: the client is the first untrusted address from the right
    assertProblem(anonymous("198.51.100.7, 127.0.0.2"), 429, "rate_limited");
    // a header that names no address counts against the proxy itself, not a made-up client
    assertProblem(anonymous("not-an-address"), 401, "unauthenticated");
  }

  @Test
  void withoutAForwardedHeaderTheProxyIsTheClient() {
    Api.Res res = api.call("GET", "/v1/events").header("Authorization", "Bearer x.y.z").send();
    assertProblem(res, 401, "unauthenticated");
    assertThat(res.header("RateLimit")).matches("\"anonymous\";r=[0-2];t=\\d+");
  }

  private Api.Res anonymous(String forwardedFor) {
    return api.call("GET", "/v1/events").header("Authorization", "Bearer not.a.token")
        .header("X-Forwarded-For", forwardedFor).send();
  }
}
