package auth;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two HTTP verticles of one node, each with its own verifier and bearer handler, on their own event loops: a token
 * checked through one is not checked again through the other, and a subject found linked through one is not looked
 * up again through the other. An unlinked subject is never remembered: a link made later counts at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SharedAcrossVerticlesTest {

  private AuthFixture node;
  private AuthOnlyVerticle first;
  private AuthOnlyVerticle second;

  @BeforeAll
  void deploy() {
    node = new AuthFixture("shared_auth");
    first = new AuthOnlyVerticle(node);
    second = new AuthOnlyVerticle(node);
    AuthFixture.await(node.vertx.deployVerticle(first));
    AuthFixture.await(node.vertx.deployVerticle(second));
  }

  @AfterAll
  void close() {
    node.close();
  }

  @Test
  void aTokenCheckedThroughOneVerticleIsNotCheckedAgainThroughAnother() {
    String memberId = node.link("shared-member");
    String token = node.issuer.token("shared-member", "member");
    long queriesBefore = node.links.queries();
    long firstBefore = first.verifier.signatureChecks();
    long secondBefore = second.verifier.signatureChecks();

    assertCaller(first, token, memberId);
    assertCaller(second, token, memberId);
    assertCaller(first, token, memberId);
    assertCaller(second, token, memberId);

    assertThat(first.verifier.signatureChecks() - firstBefore).as("checks on the first verticle").isEqualTo(1);
    assertThat(second.verifier.signatureChecks() - secondBefore).as("checks on the second verticle").isZero();
    assertThat(node.links.queries() - queriesBefore).as("member lookups").isEqualTo(1);
  }

  @Test
  void anUnlinkedSubjectIsNotRememberedAndALinkMadeLaterCountsAtOnce() {
    String token = node.issuer.token("linked-later", "member");
    long checksBefore = checks();
    long queriesBefore = node.links.queries();

    assertCaller(first, token, null);
    assertCaller(second, token, null);
    assertThat(node.links.queries() - queriesBefore).as("an unlinked subject is looked up every time").isEqualTo(2);

    String memberId = node.link("linked-later");
    assertCaller(second, token, memberId);
    assertCaller(first, token, memberId);
    assertThat(node.links.queries() - queriesBefore).as("once linked, it is remembered").isEqualTo(3);
    assertThat(checks() - checksBefore).as("the token itself was checked once").isEqualTo(1);
  }

  private long checks() {
    return first.verifier.signatureChecks() + second.verifier.signatureChecks();
  }

  private static void assertCaller(AuthOnlyVerticle verticle, String token, String memberId) {
    Api.Res res = new Api(verticle.baseUrl()).get("/whoami", token);
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    assertThat(res.json().getString("memberId")).isEqualTo(memberId);
    assertThat(res.json().getBoolean("ownLoop")).as("the request went on on its verticle's loop").isTrue();
  }
}
