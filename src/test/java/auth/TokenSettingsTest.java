package auth;

import config.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import support.Api;
import support.LogCapture;
import support.RosterApp;
import support.TestDatabase;
import support.TestIssuer;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * How strictly `start` trusts tokens (RFC 8725, RFC 9068), each rule seen from outside: the service refuses
 * to start with one clear line, or answers 401/403/503, with tokens signed by real keys served as a JWKS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenSettingsTest {

  private static final String EVENTS = "/v1/events";

  private TestDatabase db;
  private TestIssuer issuer;

  @BeforeAll
  void start() {
    db = TestDatabase.create(getClass().getSimpleName());
    issuer = new TestIssuer();
  }

  @AfterAll
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    if (db != null) {
      db.drop();
    }
  }

  // ---------------------------------------------------------------- aud

  @Test
  void startRefusesToRunWithoutAnAudienceUnlessThatIsTurnedOffExplicitly() {
    assertThat(refusal(Map.of("ROSTER_OIDC_AUDIENCE", ""))).contains("ROSTER_OIDC_AUDIENCE")
        .contains("ROSTER_OIDC_REQUIRE_AUDIENCE=false");

    try (LogCapture logs = LogCapture.start();
         RosterApp app = RosterApp.start(db, issuer, Map.of("ROSTER_OIDC_AUDIENCE", "",
             "ROSTER_OIDC_REQUIRE_AUDIENCE", "false"))) {
      Api api = new Api(app.baseUrl());
      String noAudience = issuer.sign(issuer.claims("anyone-" + UUID.randomUUID(), "member")
          .audience((String) null).build());
      assertOk(api.get(EVENTS, noAudience));
      assertOk(api.get(EVENTS, issuer.sign(issuer.claims("other-" + UUID.randomUUID(), "member")
          .audience("account").build())));
      assertThat(logs.lines()).anyMatch(line -> line.startsWith("WARN") && line.contains("ROSTER_OIDC_REQUIRE_AUDIENCE=false"));
    }
  }

  // ---------------------------------------------------------------- iss

  @Test
  void aJwksUrlAloneIsNotEnoughTheIssuerIsAlwaysRequired() {
    assertThat(refusal(Map.of("ROSTER_OIDC_ISSUER", ""))).startsWith("missing setting: ROSTER_OIDC_ISSUER");
  }

  @Test
  void theDiscoveryDocumentMustNameTheConfiguredIssuer() {
    // Honest provider, found through its openid-configuration only: its tokens work.
    Map<String, String> discovered = Map.of("ROSTER_OIDC_JWKS_URL", "");
    try (RosterApp app = RosterApp.start(db, issuer, discovered)) {
      assertOk(new Api(app.baseUrl()).get(EVENTS, issuer.token("discovered-" + UUID.randomUUID(), "member")));
    }

    // A provider whose openid-configuration speaks for another issuer: none of its keys is trusted.
    try (TestIssuer lying = new TestIssuer(); LogCapture logs = LogCapture.start()) {
      lying.discoveryNamesIssuer("https://elsewhere.roster.invalid/realms/roster");
      try (RosterApp app = RosterApp.start(db, lying, discovered)) {
        Api api = new Api(app.baseUrl());
        for (int i = 0; i < 2; i++) {
          Api.Res res = api.get(EVENTS, lying.token("lied-to-" + UUID.randomUUID(), "member"));
          assertThat(res.status()).as(res.toString()).isEqualTo(503);
          assertThat(res.json().getString("code")).isEqualTo("unavailable");
        }
        assertThat(lying.jwksRequests()).as("keys fetched from a provider that names another issuer").isZero();
        assertThat(logs.lines()).anyMatch(line -> line.contains("names the issuer 'https://elsewhere.roster.invalid"
            + "/realms/roster', not the configured one"));
      }
    }
  }

  // ---------------------------------------------------------------- https

  @Test
  void issuerAndJwksUrlsMustBeHttpsOffLoopback() {
    String plainIssuer = "http://id.roster.invalid/realms/roster";
    assertThat(refusal(Map.of("ROSTER_OIDC_ISSUER", plainIssuer)))
        .contains("ROSTER_OIDC_ISSUER must be an https:// URL").contains("ROSTER_OIDC_ALLOW_HTTP=true");
    assertThat(refusal(Map.of("ROSTER_OIDC_JWKS_URL", "http://id.roster.invalid/jwks")))
        .contains("ROSTER_OIDC_JWKS_URL must be an https:// URL");
    assertThat(refusal(Map.of("ROSTER_OIDC_ISSUER", "id.roster.invalid/realms/roster")))
        .contains("ROSTER_OIDC_ISSUER must be an https:// URL");
  }

  @Test
  void plainHttpOffLoopbackIsAcceptedOnlyWhenAllowedAndThenLoudly() {
    String plainIssuer = "http://keycloak.roster.invalid:8080/realms/roster";
    try (LogCapture logs = LogCapture.start();
         RosterApp app = RosterApp.start(db, issuer, Map.of("ROSTER_OIDC_ISSUER", plainIssuer,
             "ROSTER_OIDC_ALLOW_HTTP", "true"))) {
      String token = issuer.sign(issuer.claims("in-cluster-" + UUID.randomUUID(), "member").issuer(plainIssuer)
          .build());
      assertOk(new Api(app.baseUrl()).get(EVENTS, token));
      assertThat(logs.lines()).anyMatch(line -> line.startsWith("WARN") && line.contains("SECURITY")
          && line.contains("ROSTER_OIDC_ALLOW_HTTP=true") && line.contains(plainIssuer));
    }
  }

  // ---------------------------------------------------------------- roles

  @Test
  void rolesComeFromTheConfiguredClaimOnly() {
    try (RosterApp app = RosterApp.start(db, issuer, Map.of("ROSTER_OIDC_ROLES_CLAIM", "roles"))) {
      Api api = new Api(app.baseUrl());
      String flatAdmin = issuer.sign(issuer.base("flat-" + UUID.randomUUID()).claim("roles", List.of("admin"))
          .build());
      String email = "flat-made-" + UUID.randomUUID() + "@example.com";
      Api.Res made = api.post("/v1/members", flatAdmin, new JsonObject().put("email", email).put("name", "Made"));
      assertThat(made.status()).as(made.toString()).isEqualTo(201);

      String realmAdmin = issuer.token("realm-" + UUID.randomUUID(), "admin");
      Api.Res refused = api.post("/v1/members", realmAdmin, new JsonObject()
          .put("email", "realm-" + UUID.randomUUID() + "@example.com").put("name", "Nope"));
      assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
      assertThat(refused.json().getString("code")).isEqualTo("forbidden");
    }
    assertThat(refusal(Map.of("ROSTER_OIDC_ROLES_CLAIM", "realm_access..roles")))
        .contains("ROSTER_OIDC_ROLES_CLAIM");
  }

  // ---------------------------------------------------------------- withdrawn keys

  @Test
  void aKeyTheIssuerWithdrawsStopsBeingHonouredAfterTheNextPeriodicRefreshCacheIncluded() throws Exception {
    try (TestIssuer withdrawing = new TestIssuer(); LogCapture logs = LogCapture.start();
         RosterApp app = RosterApp.start(db, withdrawing, Map.of("ROSTER_OIDC_JWKS_MAX_AGE_SECONDS", "1"))) {
      Api api = new Api(app.baseUrl());
      String subject = "withdrawn-" + UUID.randomUUID();
      String signedByOldKey = withdrawing.token(subject, "member");
      String oldKid = withdrawing.rsaKey().getKeyID();
      assertOk(api.get(EVENTS, signedByOldKey));
      assertOk(api.get(EVENTS, signedByOldKey)); // now from the verified-token cache

      withdrawing.rotate();
      withdrawing.withdraw(oldKid);
      String signedByNewKey = withdrawing.token(subject, "member");

      // The token itself never names an unknown kid: only the periodic refresh can tell the key is gone.
      Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
      Api.Res res = api.get(EVENTS, signedByOldKey);
      while (res.status() == 200 && Instant.now().isBefore(deadline)) {
        Thread.sleep(200);
        res = api.get(EVENTS, signedByOldKey);
      }
      assertThat(res.status()).as("a token of the withdrawn key: " + res).isEqualTo(401);
      assertThat(res.json().getString("code")).isEqualTo("unauthenticated");
      assertThat(api.get(EVENTS, signedByOldKey).status()).isEqualTo(401);
      assertOk(api.get(EVENTS, signedByNewKey));
      assertThat(logs.lines()).anyMatch(line -> line.contains("the JWKS changed") && line.contains("no longer trusted: "
          + oldKid));
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Starts the service with these settings (over RosterApp's) and returns the one line it refused with. */
  private String refusal(Map<String, String> settings) {
    Map<String, String> env = new HashMap<>(settings);
    try (RosterApp ignored = RosterApp.start(db, issuer, env)) {
      return fail("the service started with " + settings);
    } catch (IllegalStateException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof ConfigException config) {
          return config.getMessage();
        }
      }
      throw new AssertionError("refused, but not for a setting", e);
    }
  }

  private static void assertOk(Api.Res res) {
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
  }
}
