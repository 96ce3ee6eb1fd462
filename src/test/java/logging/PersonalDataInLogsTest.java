package logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import support.Api;
import support.LogCapture;
import support.NotificationTestBase;
import support.ProviderRecorder.Answer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member's e-mail, phone and push token, the bearer tokens and the service's credentials appear in no log line,
 * with JSON lines on and every logger at DEBUG (what ops would turn on to chase a problem): a member reachable on
 * e-mail, SMS and push books and cancels, a provider fails once echoing what it was sent, a forged token is refused.
 * Everything logged from the service's start is captured as encoded (fields, key/value pairs, stack traces) and
 * searched.
 */
class PersonalDataInLogsTest extends NotificationTestBase {

  private static final String SMS_SECRET = "Sms-Auth-Token-never-logged";
  private static final String PUSH_SECRET = "Push-Access-Token-never-logged";
  /** Test infrastructure that logs what it receives (GreenMail logs mails at DEBUG): not the service's lines. */
  private static final List<String> NOT_THE_SERVICE = List.of("com.icegreen.", "org.testcontainers.", "support.");

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Level rootLevel = root.getLevel();
  /** Opened with the test instance, before the service starts; DEBUG as ROSTER_LOG_LEVEL=DEBUG would set it. */
  private final LogCapture logs = debugCapture();

  private LogCapture debugCapture() {
    root.setLevel(Level.DEBUG);
    return LogCapture.encoded(LogFormat.JSON);
  }

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_SMS_AUTH_TOKEN", SMS_SECRET);
    env.put("ROSTER_PUSH_ACCESS_TOKEN", PUSH_SECRET);
    return env;
  }

  @AfterAll
  void stopCapturing() {
    logs.close();
    root.setLevel(rootLevel);
  }

  @Test
  void aBookingWithNotificationsOnEveryChannelLogsNoPersonalDataAndNoSecret() {
    Person ada = member();
    String email = ada.json().getString("email");
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    String pushToken = "fcm:APA91b" + UUID.randomUUID().toString().replace("-", "") + "Xq7";
    // the member sets its own contact details: they travel in a request body
    Api.Res set = api.patch("/v1/members/" + ada.id(), ada.token(), new JsonObject().put("phone", phone)
        .put("pushToken", pushToken).put("channels", new JsonArray().add("email").add("sms").add("push")));
    assertThat(set.status()).as(set.toString()).isEqualTo(200);
    // the SMS provider refuses the first message, echoing the number and address (logged, redacted), then accepts
    sms.script(new Answer(400, "{\"message\": \"The 'To' number " + phone + " (" + email + ") is not valid\"}",
        Map.of()));
    String eventId = createEvent(5, 0).getString("id");

    Api.Res booked = api.call("POST", "/v1/bookings").token(ada.token()).header("Idempotency-Key", "pd-" + UUID.randomUUID())
        .json(new JsonObject().put("eventId", eventId)).send();
    assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
    eventually(Duration.ofSeconds(30), "the confirmation by e-mail and push, its SMS refused",
        () -> deliveries(ada, "sent") == 2 && deliveries(ada, "failed") == 1);
    assertThat(api.get("/v1/members/me", ada.token()).status()).isEqualTo(200);
    assertThat(api.delete("/v1/bookings/" + booked.json().getString("id"), ada.token()).status()).isEqualTo(200);
    eventually(Duration.ofSeconds(30), "the cancellation on every channel", () -> deliveries(ada, "sent") == 5);

    // a token whose signature was tampered with, and one for another audience
    String[] parts = ada.token().split("\\.");
    String forged = parts[0] + "." + parts[1] + "." + new StringBuilder(parts[2]).reverse();
    assertThat(api.get("/v1/members/me", forged).status()).isEqualTo(401);

    List<String> secrets = new ArrayList<>(List.of(email, email.substring(0, email.indexOf('@')), phone,
        phone.substring(1), pushToken, ada.token(), parts[1], parts[2], forged.substring(forged.lastIndexOf('.') + 1),
        admin.token(), admin.token().split("\\.")[2], SMS_SECRET, PUSH_SECRET,
        Base64.getEncoder().encodeToString(("AC123:" + SMS_SECRET).getBytes(StandardCharsets.UTF_8))));
    List<JsonObject> lines = logs.jsonLines();
    List<JsonObject> serviceLines = lines.stream()
        .filter(l -> NOT_THE_SERVICE.stream().noneMatch(l.getString("logger")::startsWith)).toList();
    assertThat(serviceLines).as("DEBUG lines were written").anyMatch(l -> "DEBUG".equals(l.getString("level")));
    assertThat(serviceLines).as("the SMS refusal was logged").anyMatch(l -> l.getString("message").contains("via sms failed"));
    assertThat(serviceLines).as("the booking's access line").anyMatch(l -> AccessLog.LOGGER.equals(l.getString("logger"))
        && "/v1/bookings".equals(l.getString("route")) && ada.id().equals(l.getString("member_id")));
    List<String> leaks = new ArrayList<>();
    for (JsonObject line : serviceLines) {
      String text = line.encode();
      secrets.stream().filter(text::contains).findFirst().ifPresent(secret -> leaks.add(text));
    }
    assertThat(leaks).as("lines holding personal data or a secret").isEmpty();
  }

  private long deliveries(Person who, String status) {
    return db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND status = ?",
        who.id(), status);
  }
}
