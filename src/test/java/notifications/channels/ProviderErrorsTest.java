package notifications.channels;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which provider answers mean the address is dead, in the shapes FCM HTTP v1 and Twilio document, and which do
 * not (a bad payload, a sender problem, an answer that is not theirs).
 */
class ProviderErrorsTest {

  private static final String FCM_ERROR = "{\"@type\": \"type.googleapis.com/google.firebase.fcm.v1.FcmError\", "
      + "\"errorCode\": \"%s\"}";

  private static String fcm(int code, String status, String message, String... details) {
    return "{\"error\": {\"code\": " + code + ", \"message\": \"" + message + "\", \"status\": \"" + status
        + "\", \"details\": [" + String.join(", ", details) + "]}}";
  }

  private static String violation(String field) {
    return "{\"@type\": \"type.googleapis.com/google.rpc.BadRequest\", \"fieldViolations\": [{\"field\": \""
        + field + "\", \"description\": \"bad\"}]}";
  }

  @Test
  void fcmUnregisteredAndInvalidTokensAreDead() {
    assertThat(FcmError.tokenIsDead(404, fcm(404, "NOT_FOUND", "Requested entity was not found.",
        FCM_ERROR.formatted("UNREGISTERED")))).isTrue();
    assertThat(FcmError.tokenIsDead(400, fcm(400, "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token", FCM_ERROR.formatted("INVALID_ARGUMENT"))))
        .isTrue();
    assertThat(FcmError.tokenIsDead(400, fcm(400, "INVALID_ARGUMENT", "Invalid value", violation("message.token"))))
        .isTrue();
  }

  @Test
  void otherFcmAnswersSayNothingAboutTheToken() {
    assertThat(FcmError.tokenIsDead(400, fcm(400, "INVALID_ARGUMENT", "Invalid value at 'message.data[0].value'",
        violation("message.data[0].value")))).as("a bad payload").isFalse();
    assertThat(FcmError.tokenIsDead(400, fcm(400, "INVALID_ARGUMENT", "Message is too big",
        FCM_ERROR.formatted("INVALID_ARGUMENT")))).isFalse();
    assertThat(FcmError.tokenIsDead(404, fcm(404, "NOT_FOUND", "Project not found"))).as("a wrong project id")
        .isFalse();
    assertThat(FcmError.tokenIsDead(403, fcm(403, "PERMISSION_DENIED", "SenderId mismatch",
        FCM_ERROR.formatted("SENDER_ID_MISMATCH")))).isFalse();
    assertThat(FcmError.tokenIsDead(404, "<html>Not Found</html>")).isFalse();
    assertThat(FcmError.tokenIsDead(404, "")).isFalse();
    assertThat(FcmError.tokenIsDead(404, "[1, 2]")).isFalse();
  }

  @Test
  void twilioCodesAboutTheNumber() {
    assertThat(TwilioError.aboutTheNumber(400, twilio(21211))).isEqualTo(StaleContact.Kind.PHONE_INVALID);
    assertThat(TwilioError.aboutTheNumber(400, twilio(21614))).isEqualTo(StaleContact.Kind.PHONE_INVALID);
    assertThat(TwilioError.aboutTheNumber(400, twilio(21610))).isEqualTo(StaleContact.Kind.SMS_OPTED_OUT);
    assertThat(TwilioError.aboutTheNumber(400, twilio(21606))).as("the sender, not the number").isNull();
    assertThat(TwilioError.aboutTheNumber(401, twilio(20003))).as("our credentials").isNull();
    assertThat(TwilioError.aboutTheNumber(500, twilio(21211))).as("not a refusal").isNull();
    assertThat(TwilioError.aboutTheNumber(400, "{\"code\": \"21211\"}")).isNull();
    assertThat(TwilioError.aboutTheNumber(400, "Bad Request")).isNull();
  }

  private static String twilio(int code) {
    return "{\"code\": " + code + ", \"message\": \"...\", \"more_info\": \"https://www.twilio.com/docs/errors/"
        + code + "\", \"status\": 400}";
  }
}
