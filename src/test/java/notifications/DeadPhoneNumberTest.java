package notifications;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import support.Api;
import support.NotificationTestBase;
import support.ProviderRecorder.Answer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an SMS provider's refusal of the number does to the member, as the member and an admin then see it: an
 * invalid or non-mobile number (Twilio 21211, 21614) is cleared from the member; an opt-out (21610) takes sms out
 * of the member's channels, e-mail taking its place when sms was the only one, and keeps the phone. Each fails
 * the delivery at once with the reason; any other refusal (21606, a sender problem) changes nothing.
 */
class DeadPhoneNumberTest extends NotificationTestBase {

  private static final Duration WAIT = Duration.ofSeconds(20);

  @BeforeEach
  void resetProviders() {
    sms.reset();
  }

  @Test
  void anInvalidNumberIsClearedAndLaterSmsAreNotSent() {
    for (int code : new int[] {21211, 21614}) {
      Person who = smsMember(List.of("email", "sms"));
      String phone = who.json().getString("phone");
      sms.answerAlways(twilioError(400, code, "The 'To' number " + phone + " is not a valid phone number."));
      assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
      eventually(WAIT, "the SMS fails", () -> failedSms(who) == 1);

      String lastError = lastSmsError(who);
      assertThat(lastError).as("code " + code).contains("answered 400").contains(String.valueOf(code))
          .contains("cannot receive SMS").contains("the member's phone number was cleared").doesNotContain(phone);
      JsonObject seen = me(who);
      assertThat(seen.containsKey("phone")).isTrue();
      assertThat(seen.getString("phone")).as("the member sees no phone").isNull();
      assertThat(seen.getJsonArray("channels")).as("a new number makes sms work again").containsExactly("email", "sms");
      assertThat(admins(who).getString("phone")).isNull();

      sms.reset();
      assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
      eventually(WAIT, "the next SMS fails unsent", () -> failedSms(who) == 2);
      assertThat(sms.requests()).as("nothing sent to a cleared number").isEmpty();
      eventually(WAIT, "the e-mails still arrive", () -> mailsTo(who.json().getString("email")).size() == 2);
    }
  }

  @Test
  void anOptOutTakesSmsOutOfTheChannelsAndKeepsAtLeastOne() {
    Person onlySms = smsMember(List.of("sms"));
    Person both = smsMember(List.of("push", "sms"));
    sms.answerAlways(twilioError(400, 21610, "Attempt to send to unsubscribed recipient"));
    String event = createEvent(5, 0).getString("id");
    assertThat(book(onlySms, event).status()).isEqualTo(201);
    assertThat(book(both, event).status()).isEqualTo(201);
    eventually(WAIT, "both SMS fail", () -> failedSms(onlySms) == 1 && failedSms(both) == 1);

    assertThat(lastSmsError(onlySms)).contains("21610").contains("opted out")
        .contains("sms was removed from the member's channels");
    assertThat(me(onlySms).getJsonArray("channels")).as("e-mail instead of nothing").containsExactly("email");
    assertThat(me(onlySms).getString("phone")).as("the number is still the member's")
        .isEqualTo(onlySms.json().getString("phone"));
    assertThat(me(both).getJsonArray("channels")).containsExactly("push");
    assertThat(admins(both).getJsonArray("channels")).containsExactly("push");

    sms.reset();
    assertThat(book(onlySms, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the next notification comes by e-mail", () -> mailsTo(onlySms.json().getString("email")).size() == 1);
    assertThat(sms.requests()).isEmpty();
  }

  @Test
  void aRefusalThatIsNotAboutTheNumberChangesNothing() {
    Person who = smsMember(List.of("sms"));
    sms.answerAlways(twilioError(400, 21606, "The From phone number is not a valid, SMS-capable number"));
    assertThat(book(who, createEvent(5, 0).getString("id")).status()).isEqualTo(201);
    eventually(WAIT, "the SMS fails", () -> failedSms(who) == 1);
    assertThat(lastSmsError(who)).contains("21606").doesNotContain("cleared").doesNotContain("removed");
    assertThat(me(who).getString("phone")).isEqualTo(who.json().getString("phone"));
    assertThat(me(who).getJsonArray("channels")).containsExactly("sms");
  }

  // ---- fixtures

  private static Answer twilioError(int status, int code, String message) {
    return new Answer(status, new JsonObject().put("code", code).put("message", message)
        .put("more_info", "https://www.twilio.com/docs/errors/" + code).put("status", status).encode(), Map.of());
  }

  private Person smsMember(List<String> channels) {
    Person person = member();
    String phone = "+1555" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
    JsonObject change = new JsonObject().put("channels", new JsonArray(channels)).put("phone", phone);
    if (channels.contains("push")) {
      change.put("pushToken", "device-" + java.util.UUID.randomUUID());
    }
    Api.Res res = api.patch("/v1/members/" + person.id(), admin.token(), change);
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return new Person(person.id(), person.subject(), person.token(), res.json());
  }

  private JsonObject me(Person who) {
    Api.Res res = api.get("/v1/members/me", who.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.json();
  }

  private JsonObject admins(Person who) {
    Api.Res res = api.get("/v1/members/" + who.id(), admin.token());
    assertThat(res.status()).as(res.toString()).isEqualTo(200);
    return res.json();
  }

  private long failedSms(Person who) {
    return db.count("SELECT count(*) FROM notification_deliveries WHERE member_id = ?::uuid AND channel = 'sms' "
        + "AND status = 'failed'", who.id());
  }

  private String lastSmsError(Person who) {
    try (var c = db.connect(); var st = c.prepareStatement("SELECT last_error FROM notification_deliveries "
        + "WHERE member_id = ?::uuid AND channel = 'sms' ORDER BY created_at LIMIT 1")) {
      st.setString(1, who.id());
      try (var rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
