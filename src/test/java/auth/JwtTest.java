package auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import support.Api;
import support.ApiTestBase;
import support.RosterApp;
import support.TestIssuer;

import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bearer JWT checks of the contract's general rules: every /v1 call needs a valid token (signature by a JWKS key,
 * exp required, exp/nbf with a small leeway, iss, aud); roles only from the configured claim (Keycloak's
 * realm_access.roles by default); keys rotate without a restart, while a flood of unknown key ids cannot hammer
 * the identity provider.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JwtTest extends ApiTestBase {

  private static final String EVENTS = "/v1/events";
  private static final String ME = "/v1/members/me";
  private static final int JWKS_REFRESH_SECONDS = 30;

  /** A second service with its own issuer, only for the key rotation test: nothing else touches its JWKS. */
  private TestIssuer rotatingIssuer;
  private RosterApp rotatingApp;
  private Api rotatingApi;
  /** Taken after the second service started: its start-up JWKS fetch happened before this instant. */
  private Instant rotatingAppStarted;

  /**
   * This class sends hundreds of bad tokens from 127.0.0.1 on purpose (floods of unknown kids, every kind of
   * invalid token), and asserts their 401s: far past the per-address budget of requests without a valid token
   * (ROSTER_RATE_ANONYMOUS_LIMIT, 60 a minute), which ratelimit.RateLimitTest covers on its own.
   */
  @Override
  protected Map<String, String> serviceSettings() {
    return Map.of("ROSTER_RATE_ANONYMOUS_LIMIT", "100000");
  }

  @BeforeAll
  void startRotatingService() {
    rotatingIssuer = new TestIssuer();
    rotatingApp = RosterApp.start(db, rotatingIssuer, serviceSettings());
    rotatingApi = new Api(rotatingApp.baseUrl());
    rotatingAppStarted = Instant.now();
  }

  @AfterAll
  void stopRotatingService() {
    if (rotatingApp != null) {
      rotatingApp.close();
    }
    if (rotatingIssuer != null) {
      rotatingIssuer.close();
    }
  }

  // ---------------------------------------------------------------- rejected: no or wrong credentials

  @Test
  void noAuthorizationHeaderIsRejected() {
    assertUnauthenticated(api.get(EVENTS, null));
    assertUnauthenticated(api.get(ME, null));
  }

  @Test
  void nonBearerSchemesAreRejected() {
    String valid = admin.token();
    String basic = Base64.getEncoder().encodeToString("admin:secret".getBytes(StandardCharsets.UTF_8));
    for (String header : List.of("Basic " + basic, "Token " + valid, "JWT " + valid, valid, "Bearer", "Bearer ",
        "Bearer" + valid)) {
      for (String path : List.of(EVENTS, ME)) {
        assertUnauthenticated(api.call("GET", path).header("Authorization", header).send());
      }
    }
  }

  @Test
  void garbageTokensAreRejected() {
    for (String garbage : List.of("garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "%%%.%%%.%%%", admin.token() + "x")) {
      assertRejected(garbage);
    }
  }

  @Test
  void tokenSignedByAKeyOutsideTheJwksIsRejected() {
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin").build();
    assertRejected(TestIssuer.signWithForeignKey(claims, "kid-" + UUID.randomUUID()));
    // Same kid as the real key: the kid alone must not make a stranger's signature trusted.
    assertRejected(TestIssuer.signWithForeignKey(claims, issuer.rsaKey().getKeyID()));
  }

  @Test
  void unsignedAlgNoneTokensAreRejected() {
    String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    String headerWithKid = b64("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" + issuer.rsaKey().getKeyID() + "\"}");
    String payload = b64(issuer.claims(admin.subject(), "admin").build().toString());
    assertRejected(header + "." + payload + ".");
    assertRejected(header + "." + payload);
    assertRejected(headerWithKid + "." + payload + ".");
    assertRejected(headerWithKid + "." + payload);
    // Capitalised variants some libraries treat as "none".
    assertRejected(b64("{\"alg\":\"None\",\"typ\":\"JWT\"}") + "." + payload + ".");
    assertRejected(b64("{\"alg\":\"NONE\",\"typ\":\"JWT\"}") + "." + payload + ".");
  }

  @Test
  void hs256KeyedWithTheRsaPublicKeyIsRejected() throws Exception {
    RSAPublicKey publicKey = issuer.rsaKey().toRSAPublicKey();
    byte[] der = publicKey.getEncoded();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END PUBLIC KEY-----\n";
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin").build();
    String kid = issuer.rsaKey().getKeyID();
    assertRejected(hmac(claims, der, kid));
    assertRejected(hmac(claims, pem.getBytes(StandardCharsets.US_ASCII), kid));
    assertRejected(hmac(claims, issuer.rsaKey().toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8), kid));
  }

  @Test
  void expiredTokenBeyondTheLeewayIsRejected() {
    Instant now = Instant.now();
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin")
        .issueTime(Date.from(now.minusSeconds(900))).notBeforeTime(Date.from(now.minusSeconds(900)))
        .expirationTime(Date.from(now.minusSeconds(120))).build();
    assertRejected(issuer.sign(claims));
  }

  @Test
  void notYetValidTokenBeyondTheLeewayIsRejected() {
    Instant now = Instant.now();
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin")
        .notBeforeTime(Date.from(now.plusSeconds(120))).expirationTime(Date.from(now.plusSeconds(900))).build();
    assertRejected(issuer.sign(claims));
  }

  @Test
  void wrongIssuerIsRejected() {
    assertRejected(issuer.sign(issuer.claims(admin.subject(), "admin").issuer("http://evil.example/realms/roster")
        .build()));
    // A look-alike of the right issuer (trailing slash) is a different issuer.
    assertRejected(issuer.sign(issuer.claims(admin.subject(), "admin").issuer(issuer.issuer() + "/").build()));
    JsonObject noIssuer = payloadOf(issuer.sign(issuer.claims(admin.subject(), "admin").issuer(null).build()));
    assertThat(noIssuer.containsKey("iss")).isFalse();
    assertRejected(issuer.sign(issuer.claims(admin.subject(), "admin").issuer(null).build()));
  }

  @Test
  void wrongAudienceIsRejected() {
    assertRejected(issuer.sign(issuer.claims(admin.subject(), "admin").audience("account").build()));
    assertRejected(issuer.sign(issuer.claims(admin.subject(), "admin").audience(List.of("account", "other-api"))
        .build()));
  }

  @Test
  void missingAudienceIsRejected() {
    String token = issuer.sign(issuer.claims(admin.subject(), "admin").audience((String) null).build());
    assertThat(payloadOf(token).containsKey("aud")).as("the token really carries no aud").isFalse();
    assertRejected(token);
  }

  @Test
  void audienceAmongSeveralIsAccepted() {
    String token = issuer.sign(issuer.claims(admin.subject(), "admin")
        .audience(List.of("account", TestIssuer.AUDIENCE)).build());
    assertAccepted(token, admin);
  }

  @Test
  void tamperedPayloadIsRejected() {
    Person someone = member();
    String token = someone.token();
    assertAccepted(token, someone);
    String[] parts = token.split("\\.");

    JsonObject escalated = payloadOf(token);
    escalated.put("realm_access", new JsonObject().put("roles", new JsonArray().add("admin")));
    String escalatedToken = parts[0] + "." + b64(escalated.encode()) + "." + parts[2];
    assertRejected(escalatedToken);
    String email = "tampered-" + UUID.randomUUID() + "@example.com";
    assertUnauthenticated(api.post("/v1/members", escalatedToken, new JsonObject().put("email", email)
        .put("name", "Should not exist")));
    assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", email)).isZero();

    JsonObject impersonating = payloadOf(token).put("sub", admin.subject());
    assertRejected(parts[0] + "." + b64(impersonating.encode()) + "." + parts[2]);

    JsonObject longerLived = payloadOf(token).put("exp", Instant.now().plusSeconds(86_400).getEpochSecond());
    assertRejected(parts[0] + "." + b64(longerLived.encode()) + "." + parts[2]);

    // The header is signed too: changing any of its fields breaks the signature as well.
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8))
        .put("typ", "at+jwt");
    assertRejected(b64(header.encode()) + "." + parts[1] + "." + parts[2]);
  }

  // ---------------------------------------------------------------- accepted

  @Test
  void rs256TokenIsAccepted() {
    assertAccepted(admin.token(), admin);
  }

  @Test
  void es256TokenIsAccepted() {
    assertAccepted(issuer.es256Token(admin.subject(), "admin"), admin);
    Person someone = member();
    assertAccepted(issuer.es256Token(someone.subject(), "member"), someone);
  }

  @Test
  void tokenExpiredWithinTheLeewayIsAccepted() {
    Instant now = Instant.now();
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin")
        .issueTime(Date.from(now.minusSeconds(900))).notBeforeTime(Date.from(now.minusSeconds(900)))
        .expirationTime(Date.from(now.minusSeconds(10))).build();
    assertAccepted(issuer.sign(claims), admin);
  }

  @Test
  void tokenNotYetValidWithinTheLeewayIsAccepted() {
    Instant now = Instant.now();
    JWTClaimsSet claims = issuer.claims(admin.subject(), "admin")
        .issueTime(Date.from(now.plusSeconds(10))).notBeforeTime(Date.from(now.plusSeconds(10)))
        .expirationTime(Date.from(now.plusSeconds(900))).build();
    assertAccepted(issuer.sign(claims), admin);
  }

  @Test
  void rolesComeFromRealmAccessRolesOnly() {
    String realmAccess = issuer.token("realm-admin-" + UUID.randomUUID(), "admin");
    String realmEs256 = issuer.es256Token("realm-es-admin-" + UUID.randomUUID(), "admin");
    for (String token : List.of(realmAccess, realmEs256)) {
      String email = "made-by-" + UUID.randomUUID() + "@example.com";
      Api.Res res = api.post("/v1/members", token, new JsonObject().put("email", email).put("name", "Made"));
      assertThat(res.status()).as(res.toString()).isEqualTo(201);
      assertThat(res.json().getString("email")).isEqualTo(email);
      assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", email)).isEqualTo(1);
    }

    // The roles really decide, and a second claim cannot add any: a flat `roles` claim is not read.
    String realmTrainer = issuer.token("realm-trainer-" + UUID.randomUUID(), "trainer");
    String flatAdmin = issuer.sign(issuer.base("flat-admin-" + UUID.randomUUID()).claim("roles", List.of("admin"))
        .build());
    String flatAdminBesideRealmMember = issuer.sign(issuer.claims("mixed-" + UUID.randomUUID(), "member")
        .claim("roles", List.of("admin")).build());
    String noRoles = issuer.sign(issuer.base("no-roles-" + UUID.randomUUID()).build());
    String rolesNotAList = issuer.sign(issuer.base("odd-" + UUID.randomUUID())
        .claim("realm_access", Map.of("roles", "admin")).build());
    for (String token : List.of(realmTrainer, flatAdmin, flatAdminBesideRealmMember, noRoles, rolesNotAList)) {
      String email = "not-made-" + UUID.randomUUID() + "@example.com";
      assertProblem(api.post("/v1/members", token, new JsonObject().put("email", email).put("name", "Nope")),
          403, "forbidden");
      assertThat(db.count("SELECT count(*) FROM members WHERE email = ?", email)).isZero();
    }
  }

  @Test
  void tokenWithoutExpiryIsRejected() {
    String token = issuer.sign(issuer.claims(admin.subject(), "admin").expirationTime(null).build());
    assertThat(payloadOf(token).containsKey("exp")).as("the token really carries no exp").isFalse();
    assertRejected(token);
  }

  // ---------------------------------------------------------------- key rotation and unknown kids

  @Test
  @Order(Integer.MAX_VALUE)
  void keyRotationIsPickedUpWithoutRestartWhileAnUnknownKidFloodFetchesAtMostOncePer30Seconds() throws Exception {
    String subject = "rotation-" + UUID.randomUUID();
    String beforeRotation = rotatingIssuer.token(subject, "member");
    Api.Res first = rotatingApi.get(EVENTS, beforeRotation);
    assertThat(first.status()).as(first.toString()).isEqualTo(200);

    // An unknown-kid flood: at most one fetch (none while the start-up fetch is less than 30 s old).
    int atStart = rotatingIssuer.jwksRequests();
    assertThat(atStart).as("the JWKS is loaded at start-up").isEqualTo(1);
    List<Api.Res> early = flood(rotatingApi, rotatingIssuer, subject, 20);
    early.forEach(JwtTest::assertUnauthenticated);
    int afterEarlyFlood = rotatingIssuer.jwksRequests();
    assertThat(afterEarlyFlood - atStart).as("JWKS fetches caused by the flood").isLessThanOrEqualTo(1);

    // Let the 30 s refresh interval since the last possible fetch pass (time passing, not a timing assertion).
    Instant lastPossibleFetch = afterEarlyFlood == atStart ? rotatingAppStarted : Instant.now();
    Instant windowOpen = lastPossibleFetch.plusSeconds(JWKS_REFRESH_SECONDS).plusMillis(500);
    long wait = windowOpen.toEpochMilli() - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }

    int beforeRotate = rotatingIssuer.jwksRequests();
    String oldKid = rotatingIssuer.rsaKey().getKeyID();
    rotatingIssuer.rotate();
    String newKid = rotatingIssuer.rsaKey().getKeyID();
    assertThat(newKid).isNotEqualTo(oldKid);
    String afterRotation = rotatingIssuer.token(subject, "member");
    assertThat(headerOf(afterRotation).getString("kid")).isEqualTo(newKid);

    Api.Res rotated = rotatingApi.get(EVENTS, afterRotation);
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    assertThat(rotatingIssuer.jwksRequests()).as("the JWKS was fetched again for the new kid")
        .isEqualTo(beforeRotate + 1);
    // The old key stays published, so tokens it signed before the rotation still work.
    Api.Res old = rotatingApi.get(EVENTS, beforeRotation);
    assertThat(old.status()).as(old.toString()).isEqualTo(200);

    // A flood of 20 unknown kids within the same 30 s: all rejected, no further fetch.
    List<Api.Res> late = flood(rotatingApi, rotatingIssuer, subject, 20);
    late.forEach(JwtTest::assertUnauthenticated);
    assertThat(rotatingIssuer.jwksRequests()).as("JWKS fetches in one 30 s window").isEqualTo(beforeRotate + 1);
    Api.Res stillFine = rotatingApi.get(EVENTS, afterRotation);
    assertThat(stillFine.status()).as(stillFine.toString()).isEqualTo(200);
  }

  @Test
  void unknownKidFloodOnTheMainServiceIsRejectedAndFetchesAtMostOnce() {
    int before = issuer.jwksRequests();
    List<Api.Res> responses = flood(api, issuer, admin.subject(), 20);
    responses.forEach(JwtTest::assertUnauthenticated);
    assertThat(issuer.jwksRequests() - before).as("JWKS fetches caused by 20 unknown kids").isLessThanOrEqualTo(1);
    assertAccepted(admin.token(), admin);
  }

  @Test
  void whileTheIdentityProvidersKeysCannotBeLoadedValidTokensGet503NotA401() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    RosterApp blind = RosterApp.start(db, issuer, Map.of("ROSTER_OIDC_JWKS_URL",
        "http://127.0.0.1:" + closedPort + "/jwks"));
    try {
      Api blindApi = new Api(blind.baseUrl());
      // A perfectly valid token: the client must not be told it is unauthenticated (and drop its session),
      // but that the service is unavailable for now; every request, not only the one that may refetch.
      for (int i = 0; i < 3; i++) {
        assertProblem(blindApi.get(EVENTS, admin.token()), 503, "unavailable");
      }
    } finally {
      blind.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Concurrently, {@code n} requests, each with a token of a foreign key under a new random kid. */
  private static List<Api.Res> flood(Api client, TestIssuer iss, String subject, int n) {
    List<CompletableFuture<Api.Res>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String token = TestIssuer.signWithForeignKey(iss.claims(subject, "admin").build(), "flood-" + UUID.randomUUID());
      calls.add(client.call("GET", EVENTS).token(token).sendAsync());
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private void assertRejected(String token) {
    assertUnauthenticated(api.get(EVENTS, token));
    assertUnauthenticated(api.get(ME, token));
  }

  /** The token works on GET /v1/events and, linked to {@code who}, GET /v1/members/me answers with that member. */
  private void assertAccepted(String token, Person who) {
    Api.Res events = api.get(EVENTS, token);
    assertThat(events.status()).as(events.toString()).isEqualTo(200);
    assertThat(events.json().containsKey("items")).isTrue();
    Api.Res me = api.get(ME, token);
    assertThat(me.status()).as(me.toString()).isEqualTo(200);
    assertThat(me.json().getString("id")).isEqualTo(who.id());
  }

  private static void assertUnauthenticated(Api.Res res) {
    assertProblem(res, 401, "unauthenticated");
    assertThat(res.header("WWW-Authenticate")).as("WWW-Authenticate of " + res).isNotNull().startsWith("Bearer");
  }

  private static String hmac(JWTClaimsSet claims, byte[] secret, String kid) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonObject payloadOf(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  private static JsonObject headerOf(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8));
  }
}
