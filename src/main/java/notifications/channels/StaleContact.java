package notifications.channels;

/**
 * What a provider told us about the address a delivery used: it will never work again. The worker updates the
 * member (only while the member still has that same address) so that later notifications do not try it again.
 *
 * @param kind what to change on the member
 * @param value the address the provider refused (a push token or a phone number): personal data, never logged
 */
public record StaleContact(Kind kind, String value) {

  public enum Kind {
    /** FCM: the app was uninstalled or the token expired: the member's push token is cleared. */
    PUSH_TOKEN_GONE,
    /** The number cannot receive SMS (invalid, or not a mobile): the member's phone is cleared. */
    PHONE_INVALID,
    /** The recipient replied STOP: sms is taken out of the member's channels (the phone stays). */
    SMS_OPTED_OUT
  }
}
