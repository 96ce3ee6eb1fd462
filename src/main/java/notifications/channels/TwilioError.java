package notifications.channels;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Reads a Twilio-compatible error answer ({@code {"code": 21211, "message": ..., "more_info": ..., "status": 400}},
 * see twilio.com/docs/api/errors) for the codes that are about the recipient's number rather than the message:
 * 21211 (invalid 'To' number) and 21614 (not a mobile number) mean the number can never get an SMS; 21610 means
 * its owner replied STOP to our sender.
 */
final class TwilioError {

  private TwilioError() {
  }

  /** What the answer says about the number, or null when it says nothing about it. */
  static StaleContact.Kind aboutTheNumber(int status, String body) {
    if (status < 400 || status >= 500 || body == null || body.isBlank()) {
      return null;
    }
    Object code;
    try {
      code = new JsonObject(body).getValue("code");
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
    if (!(code instanceof Number number)) {
      return null;
    }
    return switch (number.intValue()) {
      case 21211, 21614 -> StaleContact.Kind.PHONE_INVALID;
      case 21610 -> StaleContact.Kind.SMS_OPTED_OUT;
      default -> null;
    };
  }

  /** What it means, in words, after the provider's (redacted) answer in lastError. */
  static String meaning(StaleContact.Kind kind) {
    return switch (kind) {
      case PHONE_INVALID -> "the number cannot receive SMS (invalid, or not a mobile number)";
      case SMS_OPTED_OUT -> "the recipient has opted out of SMS from this sender (replied STOP)";
      case PUSH_TOKEN_GONE -> throw new IllegalArgumentException(kind.name());
    };
  }
}
