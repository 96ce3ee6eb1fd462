package notifications.channels;

import config.ConfigException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.GoogleTokenEndpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * FCM access tokens from a service-account key file, against a token endpoint that verifies the signed grant with
 * the key's public half: minted once, reused, renewed ahead of expiry (on a clock the test moves), one mint at a
 * time, renewed after a 401, and an endpoint outage is a retryable failure that passes when it is back.
 */
class ServiceAccountTokensTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private GoogleTokenEndpoint google;
  private MovableClock clock;
  private ServiceAccountTokens tokens;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    google = new GoogleTokenEndpoint();
    clock = new MovableClock();
    ServiceAccountFile.Key key = ServiceAccountFile.read(google.writeKeyFile(dir).toString());
    assertThat(key.projectId()).isEqualTo(GoogleTokenEndpoint.PROJECT_ID);
    tokens = new ServiceAccountTokens(vertx, key.credentials(), clock);
  }

  @AfterEach
  void stop() {
    google.close();
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Test
  void mintsOnceAndReusesTheTokenUntilFiveMinutesBeforeItExpires() {
    String first = await(tokens.token());
    assertThat(google.refusals()).as("the grant's RS256 signature and claims are checked").isEmpty();
    assertThat(google.accepts(first)).isTrue();
    assertThat(google.requests()).isEqualTo(1);

    assertThat(await(tokens.token())).isEqualTo(first);
    clock.advance(Duration.ofMinutes(54));
    assertThat(await(tokens.token())).as("6 minutes left: still used").isEqualTo(first);
    assertThat(google.requests()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2)); // 4 minutes left
    String second = await(tokens.token());
    assertThat(second).isNotEqualTo(first);
    assertThat(google.requests()).isEqualTo(2);
    assertThat(await(tokens.token())).isEqualTo(second);
    assertThat(google.requests()).isEqualTo(2);
  }

  @Test
  void aShortLivedTokenIsRenewedAtHalfItsLifetime() {
    google.expiresIn(60);
    String first = await(tokens.token());
    clock.advance(Duration.ofSeconds(25));
    assertThat(await(tokens.token())).isEqualTo(first);
    clock.advance(Duration.ofSeconds(10));
    assertThat(await(tokens.token())).isNotEqualTo(first);
    assertThat(google.requests()).isEqualTo(2);
  }

  @Test
  void callersThatNeedATokenTogetherShareOneMint() {
    List<Future<String>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add(tokens.token());
    }
    String token = await(calls.get(0));
    for (Future<String> call : calls) {
      assertThat(await(call)).isEqualTo(token);
    }
    assertThat(google.requests()).isEqualTo(1);
  }

  @Test
  void aRejectedTokenIsRenewedOnceHoweverManySendsSawTheRejection() {
    String first = await(tokens.token());
    List<Future<String>> renewals = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      renewals.add(tokens.renew(first));
    }
    String second = await(renewals.get(0));
    assertThat(second).isNotEqualTo(first);
    renewals.forEach(r -> assertThat(await(r)).isEqualTo(second));
    assertThat(await(tokens.renew(first))).as("a late 401 for the old token").isEqualTo(second);
    assertThat(google.requests()).isEqualTo(2);
  }

  @Test
  void anEndpointOutageIsRetryableAndPassesWhenItIsBack() {
    google.down(true);
    Throwable failure = awaitFailure(tokens.token());
    assertThat(failure).isInstanceOf(DeliveryException.class);
    assertThat(((DeliveryException) failure).permanent()).isFalse();
    assertThat(failure.getMessage()).contains("no access token").doesNotContain(GoogleTokenEndpoint.CLIENT_EMAIL);
    assertThat(google.requests()).isPositive();

    google.down(false);
    String token = await(tokens.token());
    assertThat(google.accepts(token)).isTrue();
  }

  @Test
  void aMissingOrMalformedKeyFileIsRefusedInOneLine() throws Exception {
    assertThatThrownBy(() -> ServiceAccountFile.read(dir.resolve("nope.json").toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ROSTER_PUSH_CREDENTIALS_FILE")
        .hasMessageContaining("does not exist");
    Path notJson = Files.writeString(dir.resolve("bad.json"), "{\"type\": \"service_account\", \"client_email\": 3");
    assertThatThrownBy(() -> ServiceAccountFile.read(notJson.toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("is not a Google service-account key file");
    Path noKey = Files.writeString(dir.resolve("nokey.json"), "{\"type\": \"service_account\", \"client_email\": "
        + "\"a@b.iam.gserviceaccount.com\", \"client_id\": \"1\", \"private_key_id\": \"k\", \"private_key\": "
        + "\"-----BEGIN PRIVATE KEY-----\\nnot a key\\n-----END PRIVATE KEY-----\\n\"}");
    assertThatThrownBy(() -> ServiceAccountFile.read(noKey.toString()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("is not a Google service-account key file")
        .message().doesNotContain("not a key");
  }

  @Test
  void theServiceRefusesToStartWithAKeyFileItCannotRead() throws Exception {
    Path malformed = Files.writeString(dir.resolve("key.json"), "{\"type\": \"service_account\"}");
    for (String file : List.of(dir.resolve("missing.json").toString(), malformed.toString())) {
      java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of(
          "ROSTER_PG_URL", "postgresql://postgres@127.0.0.1:1/never-reached", "ROSTER_HTTP_INSTANCES", "0",
          "ROSTER_WORKER_INSTANCES", "1", "ROSTER_AMQP_URL", "amqp://guest:guest@127.0.0.1:1",
          "ROSTER_SMTP_HOST", "127.0.0.1", "ROSTER_SMTP_FROM", "roster@club.example",
          "ROSTER_PUSH_URL", "https://fcm.googleapis.com", "ROSTER_PUSH_CREDENTIALS_FILE", file));
      env.put("ROSTER_SCHEDULER_ENABLED", "false");
      Throwable refusal = awaitFailure(vertx.deployVerticle(
          new verticles.MainVerticle(config.RuntimeMode.PRODUCTION, null, env)));
      assertThat(refusal).as(file).isInstanceOf(ConfigException.class);
      assertThat(refusal.getMessage()).startsWith("ROSTER_PUSH_CREDENTIALS_FILE").contains(file).doesNotContain("\n");
    }
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  private static Throwable awaitFailure(Future<?> future) {
    try {
      await(future);
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }

  /** The cache's clock, moved by the test; the token endpoint keeps real time. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.now();

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
