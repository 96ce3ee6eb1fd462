package auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.TestIssuer;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The verified-token cache is bounded in memory, not only in entries: a client cycling through many large (but
 * validly signed) tokens cannot grow it past its byte budget, and an oversized token is checked, never kept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenCacheBoundTest {

  private static final long BUDGET = 32 * 1024;

  private final TestIssuer issuer = new TestIssuer();
  private Vertx vertx;
  private VerifiedTokenCache cache;
  private TokenVerifier verifier;

  @BeforeAll
  void keys() throws Exception {
    vertx = Vertx.vertx();
    JsonArray jwks = new JsonArray().add(new JsonObject(issuer.rsaKey().toPublicJWK().toJSONObject()));
    JwksCache keys = new JwksCache(JwksSource.fixed(jwks), 30);
    keys.refresh().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    cache = new VerifiedTokenCache(BUDGET);
    verifier = new TokenVerifier(vertx, keys, cache, issuer.issuer(), TestIssuer.AUDIENCE, 30);
  }

  @AfterAll
  void close() {
    issuer.close();
    vertx.close();
  }

  @Test
  void manyLargeTokensStayWithinTheByteBudgetAndOversizedOnesAreNotCached() throws Exception {
    for (int i = 0; i < 200; i++) {
      String token = issuer.sign(issuer.claims("member-" + i, "member").claim("pad", "x".repeat(1500)).build());
      verify(token);
      long[] usage = cache.usage();
      assertThat(usage[1]).as("estimated bytes after %d tokens", i + 1).isLessThanOrEqualTo(BUDGET);
    }
    long[] full = cache.usage();
    assertThat(full[0]).as("entries kept").isBetween(1L, 199L);

    // the most recent token is still cached and answers as before
    String recent = issuer.sign(issuer.claims("recent", "member").build());
    assertThat(verify(recent).getString("sub")).isEqualTo("recent");
    long checks = verifier.signatureChecks();
    assertThat(verify(recent).getString("sub")).isEqualTo("recent");
    assertThat(verifier.signatureChecks()).as("answered from the cache").isEqualTo(checks);

    String huge = issuer.sign(issuer.claims("huge", "member").claim("pad", "y".repeat(6000)).build());
    assertThat(huge.length()).isGreaterThan(VerifiedTokenCache.MAX_TOKEN_CHARS);
    long[] before = cache.usage();
    assertThat(verify(huge).getString("sub")).as("verified all the same").isEqualTo("huge");
    assertThat(cache.usage()).as("an oversized token is not cached").isEqualTo(before);
  }

  private JsonObject verify(String token) throws Exception {
    return verifier.verify(token).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
