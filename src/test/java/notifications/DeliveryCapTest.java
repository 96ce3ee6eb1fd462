package notifications;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notifications cannot be turned into an SMS cannon: past a member's hourly SMS and push caps a delivery fails
 * with a reason that says so, and the provider is never called for it. E-mail is not capped.
 */
class DeliveryCapTest extends NotificationTestBase {

  @Override
  protected Map<String, String> notificationSettings() {
    Map<String, String> env = super.notificationSettings();
    env.put("ROSTER_RATE_SMS_PER_HOUR", "2");
    env.put("ROSTER_RATE_PUSH_PER_HOUR", "2");
    return env;
  }

  @Test
  void deliveriesPastTheHourlyCapFailWithoutAProviderCall() {
    Person who = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    String pushToken = "tok-" + UUID.randomUUID();
    Api.Res patched = api.patch("/v1/members/" + who.id(), admin.token(), new JsonObject()
        .put("channels", new JsonArray(List.of("email", "sms", "push"))).put("phone", phone).put("pushToken", pushToken));
    assertThat(patched.status()).as(patched.toString()).isEqualTo(200);

    for (int i = 0; i < 3; i++) {
      // one after the other, so which deliveries come first is known
      assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
      int settled = i + 1;
      eventually(Duration.ofSeconds(30), "notification " + settled + " settled on every channel",
          () -> db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid "
              + "AND status IN ('sent', 'failed')", who.id()) == 3L * settled);
    }

    assertThat(statuses(who.id(), "email")).containsExactly("sent", "sent", "sent");
    assertThat(statuses(who.id(), "sms")).containsExactly("sent", "sent", "failed");
    assertThat(statuses(who.id(), "push")).containsExactly("sent", "sent", "failed");
    assertThat(sms.requests().stream().filter(r -> phone.equals(to(r.body())))).hasSize(2);
    assertThat(push.requests().stream().filter(r -> r.body().contains(pushToken))).hasSize(2);

    Api.Res failed = api.get("/v1/notifications?status=failed&limit=100", admin.token());
    assertThat(failed.status()).isEqualTo(200);
    List<JsonObject> mine = failed.items().stream().map(JsonObject.class::cast)
        .filter(d -> who.id().equals(d.getString("memberId"))).toList();
    assertThat(mine).extracting(d -> d.getString("channel")).containsExactlyInAnyOrder("sms", "push");
    assertThat(mine).allSatisfy(d -> {
      assertThat(d.getString("lastError")).startsWith("rate limited:").contains("cap is 2 per hour");
      assertThat(d.getInteger("attempts")).isEqualTo(1);
    });
  }

  private List<String> statuses(String memberId, String channel) {
    return db.strings("SELECT status FROM notification_deliveries WHERE member_id = ?::uuid AND channel = ? "
        + "ORDER BY created_at", memberId, channel);
  }

  private static String to(String form) {
    for (String pair : form.split("&")) {
      if (pair.startsWith("To=")) {
        return URLDecoder.decode(pair.substring(3), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
