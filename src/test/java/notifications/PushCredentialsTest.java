package notifications;

import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import support.Api;
import support.FcmStandIn;
import support.GoogleTokenEndpoint;
import support.LogCapture;
import support.NotificationTestBase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Push as it runs against the real FCM, end to end: the service holds a service-account key file (a fresh RSA
 * key; its token_uri is a token endpoint in the test that verifies the grant's signature), and an FCM stand-in
 * accepts only the access tokens that endpoint issued and has not revoked. The first send mints a token, later
 * sends reuse it, a 401 renews it once, a token close to expiry is renewed before a send, an endpoint outage
 * delays deliveries which go out once it is back; FCM saying a device token is dead clears it from the member,
 * unless the member has registered another one meanwhile. The tests run in order: token counts add up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PushCredentialsTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Opened with the test instance, so it sees the service start and read the key file as well. */
  private final LogCapture logs = LogCapture.start();
  private GoogleTokenEndpoint google;
  private FcmStandIn fcm;
  private Path keyDir;

  @Override
  protected Map<String, String> notificationSettings() {
    google = new GoogleTokenEndpoint();
    fcm = new FcmStandIn(google);
    try {
      keyDir = Files.createTempDirectory("roster-push-key");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    Map<String, String> env = super.notificationSettings();
    env.remove("ROSTER_PUSH_ACCESS_TOKEN");
    env.remove("ROSTER_PUSH_PROJECT_ID"); // the key file's project_id names the project
    env.put("ROSTER_PUSH_URL", fcm.url());
    env.put("ROSTER_PUSH_CREDENTIALS_FILE", google.writeKeyFile(keyDir).toString());
    env.put("ROSTER_NOTIFY_MAX_ATTEMPTS", "8"); // room for the token endpoint's outage
    return env;
  }

  @AfterAll
  void closeStandIns() {
    logs.close();
    if (fcm != null) {
      fcm.close();
    }
    if (google != null) {
      google.close();
    }
  }

  @Test
  @Order(1)
  void theFirstSendMintsATokenAndLaterSendsReuseIt() {
    Person who = pushMember("device-" + UUID.randomUUID());
    for (int i = 1; i <= 3; i++) {
      assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
      int sent = i;
      eventually(WAIT, "push " + i + " is sent", () -> sentPushes(who) == sent);
    }
    List<FcmStandIn.Send> sends = fcm.sendsTo(who.json().getString("pushToken"));
    assertThat(sends).hasSize(3).allMatch(s -> s.status() == 200);
    assertThat(sends.stream().map(FcmStandIn.Send::bearer).distinct()).as("one access token for all three").hasSize(1);
    assertThat(sends.get(0).path()).isEqualTo("/v1/projects/" + GoogleTokenEndpoint.PROJECT_ID + "/messages:send");
    assertThat(google.requests()).as("token requests").isEqualTo(1);
    assertThat(google.refusals()).as("the grant's RS256 signature and claims").isEmpty();
  }

  @Test
  @Order(2)
  void aRejectedTokenIsRenewedOnceAndTheSendRepeated() {
    Person who = pushMember("device-" + UUID.randomUUID());
    google.revokeAll();
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the push is sent", () -> sentPushes(who) == 1);

    List<FcmStandIn.Send> sends = fcm.sendsTo(who.json().getString("pushToken"));
    assertThat(sends).extracting(FcmStandIn.Send::status).containsExactly(401, 200);
    assertThat(sends.get(1).bearer()).isNotEqualTo(sends.get(0).bearer());
    assertThat(google.requests()).as("token requests").isEqualTo(2);
    assertThat(deliveryOf(who).getInteger("attempts")).as("renewed within the same attempt").isEqualTo(1);
  }

  @Test
  @Order(3)
  void aTokenCloseToItsExpiryIsRenewedBeforeTheSend() throws Exception {
    Person who = pushMember("device-" + UUID.randomUUID());
    google.expiresIn(4); // renewed once half its lifetime is gone
    google.revokeAll();
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the first push is sent", () -> sentPushes(who) == 1);
    google.expiresIn(3600);
    assertThat(google.requests()).isEqualTo(3);
    String shortLived = fcm.sendsTo(who.json().getString("pushToken")).get(1).bearer();

    Thread.sleep(2500); // past half of the 4 s: close to expiry, still accepted by FCM
    assertThat(google.accepts(shortLived)).isTrue();
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the second push is sent", () -> sentPushes(who) == 2);

    List<FcmStandIn.Send> sends = fcm.sendsTo(who.json().getString("pushToken"));
    assertThat(sends).extracting(FcmStandIn.Send::status).containsExactly(401, 200, 200);
    assertThat(sends.get(2).bearer()).as("renewed before sending, not after a 401").isNotEqualTo(shortLived);
    assertThat(google.requests()).as("token requests").isEqualTo(4);
  }

  @Test
  @Order(4)
  void aTokenEndpointOutageDelaysThePushWhichGoesOutWhenItIsBack() {
    Person who = pushMember("device-" + UUID.randomUUID());
    google.down(true);
    google.revokeAll();
    int before = google.requests();
    try {
      assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
      eventually(WAIT, "the push is being retried", () -> {
        JsonObject d = deliveryOrNull(who);
        return d != null && d.getString("status").equals("pending") && d.getInteger("attempts") >= 2;
      });
      assertThat(deliveryOf(who).getString("lastError")).isNotBlank();
      assertThat(google.requests()).as("the endpoint was asked").isGreaterThan(before);
    } finally {
      google.down(false);
    }
    eventually(Duration.ofSeconds(60), "the push is sent once the endpoint is back", () -> sentPushes(who) == 1);
    List<FcmStandIn.Send> sends = fcm.sendsTo(who.json().getString("pushToken"));
    assertThat(sends.stream().filter(s -> s.status() == 200)).as("delivered once").hasSize(1);
    assertThat(deliveryOf(who).getString("lastError")).isNull();
  }

  @Test
  @Order(5)
  void anUnregisteredDeviceTokenIsClearedAndTheDeliveryFails() {
    String device = "device-" + UUID.randomUUID();
    Person who = pushMember(device);
    fcm.answer(device, 404, unregistered());
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the push fails", () -> "failed".equals(statusOf(who)));

    JsonObject delivery = deliveryOf(who);
    assertThat(delivery.getInteger("attempts")).isEqualTo(1);
    assertThat(delivery.getString("lastError")).contains("answered 404").contains("UNREGISTERED")
        .contains("the member's push token was cleared").doesNotContain(device);
    Api.Res me = api.get("/v1/members/me", who.token());
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().containsKey("pushToken")).isTrue();
    assertThat(me.json().getString("pushToken")).as("the member sees no push token").isNull();
    assertThat(me.json().getJsonArray("channels")).containsExactly("push");

    // the next notification is not sent to the dead token
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the next push fails unsent", () -> db.count("SELECT count(*) FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND status = 'failed' AND last_error = 'the member has no push token'", who.id()) == 1);
    assertThat(fcm.sendsTo(device)).hasSize(1);
  }

  @Test
  @Order(6)
  void aTokenTheMemberReplacedMeanwhileIsKept() {
    String old = "device-" + UUID.randomUUID();
    String fresh = "device-" + UUID.randomUUID();
    Person who = pushMember(old);
    Promise<Void> release = Promise.promise();
    fcm.hold(old, release);
    fcm.answer(old, 404, unregistered());
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "FCM has the request", () -> !fcm.sendsTo(old).isEmpty() || fcm.holding(old));

    Api.Res changed = api.patch("/v1/members/" + who.id(), who.token(), new JsonObject().put("pushToken", fresh));
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    release.complete();

    eventually(WAIT, "the push fails", () -> "failed".equals(statusOf(who)));
    assertThat(deliveryOf(who).getString("lastError")).contains("UNREGISTERED").contains("had changed since: kept");
    assertThat(api.get("/v1/members/me", who.token()).json().getString("pushToken")).isEqualTo(fresh);
  }

  @Test
  @Order(7)
  void aTokenFcmCallsInvalidIsClearedButABadPayloadLeavesIt() {
    String invalid = "device-" + UUID.randomUUID();
    Person a = pushMember(invalid);
    fcm.answer(invalid, 400, new JsonObject().put("error", new JsonObject().put("code", 400)
        .put("message", "The registration token is not a valid FCM registration token").put("status", "INVALID_ARGUMENT")
        .put("details", new JsonArray().add(new JsonObject().put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError")
            .put("errorCode", "INVALID_ARGUMENT")))));
    String fine = "device-" + UUID.randomUUID();
    Person b = pushMember(fine);
    fcm.answer(fine, 400, new JsonObject().put("error", new JsonObject().put("code", 400)
        .put("message", "Invalid value at 'message.data[0].value' (TYPE_STRING), 12").put("status", "INVALID_ARGUMENT")
        .put("details", new JsonArray().add(new JsonObject().put("@type", "type.googleapis.com/google.rpc.BadRequest")
            .put("fieldViolations", new JsonArray().add(new JsonObject().put("field", "message.data[0].value")
                .put("description", "Invalid value")))))));

    String event = createEvent(5, 0).getString("id");
    assertThat(book(a, event).status()).isEqualTo(201);
    assertThat(book(b, event).status()).isEqualTo(201);
    eventually(WAIT, "both pushes fail", () -> "failed".equals(statusOf(a)) && "failed".equals(statusOf(b)));

    assertThat(deliveryOf(a).getString("lastError")).contains("no longer valid").contains("push token was cleared");
    assertThat(api.get("/v1/members/me", a.token()).json().getString("pushToken")).isNull();
    assertThat(deliveryOf(b).getString("lastError")).contains("answered 400").doesNotContain("cleared");
    assertThat(api.get("/v1/members/me", b.token()).json().getString("pushToken")).isEqualTo(fine);
  }

  @Test
  @Order(8)
  void noAccessTokenKeyOrDeviceTokenReachesALogOrLastError() {
    assertThat(google.issued()).as("tokens minted in this class").hasSizeGreaterThanOrEqualTo(5);
    java.util.List<String> secrets = new java.util.ArrayList<>(google.issued());
    String key = google.privateKeyBase64();
    for (int i = 0; i + 24 <= key.length(); i += 200) {
      secrets.add(key.substring(i, i + 24));
    }
    secrets.addAll(fcm.deviceTokens());
    java.util.List<String> lines = logs.lines();
    assertThat(lines).as("the worker logged failures").anyMatch(l -> l.contains("via push failed"));
    java.util.List<String> lastErrors = new java.util.ArrayList<>();
    try (var c = db.connect(); var st = c.createStatement();
         var rs = st.executeQuery("SELECT last_error FROM notification_deliveries WHERE last_error IS NOT NULL")) {
      while (rs.next()) {
        lastErrors.add(rs.getString(1));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    assertThat(lastErrors).isNotEmpty();
    for (String secret : secrets) {
      assertThat(lines).as("log lines").noneMatch(l -> l.contains(secret));
      assertThat(lastErrors).as("lastError").noneMatch(l -> l.contains(secret));
    }
    assertThat(lines).noneMatch(l -> l.contains(GoogleTokenEndpoint.CLIENT_EMAIL));
  }

  // ---- fixtures

  private static JsonObject unregistered() {
    return new JsonObject().put("error", new JsonObject().put("code", 404).put("message", "Requested entity was not found.")
        .put("status", "NOT_FOUND").put("details", new JsonArray().add(new JsonObject()
            .put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError").put("errorCode", "UNREGISTERED"))));
  }

  /** A member reached by push only, with this device token. */
  private Person pushMember(String deviceToken) {
    Person person = member();
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(), new JsonObject()
        .put("channels", new JsonArray().add("push")).put("pushToken", deviceToken));
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return new Person(person.id(), person.subject(), person.token(), res.json());
  }

  private int sentPushes(Person who) {
    return (int) db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'push' "
        + "AND status = 'sent'", who.id());
  }

  private String statusOf(Person who) {
    JsonObject d = deliveryOrNull(who);
    return d == null ? null : d.getString("status");
  }

  private JsonObject deliveryOf(Person who) {
    JsonObject d = deliveryOrNull(who);
    assertThat(d).as("push delivery of " + who.id()).isNotNull();
    return d;
  }

  /** The member's latest push delivery. */
  private JsonObject deliveryOrNull(Person who) {
    try (var c = db.connect(); var st = c.prepareStatement("SELECT status, attempts, last_error FROM "
        + "notification_deliveries WHERE member_id = ?::uuid AND channel = 'push' ORDER BY created_at DESC LIMIT 1")) {
      st.setString(1, who.id());
      try (var rs = st.executeQuery()) {
        return rs.next() ? new JsonObject().put("status", rs.getString(1)).put("attempts", rs.getInt(2))
            .put("lastError", rs.getString(3)) : null;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
