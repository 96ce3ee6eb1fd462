package notifications.channels;

import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes personal data and secrets out of a provider's answer before it reaches a log line or a delivery's
 * {@code lastError}: providers echo what they were sent (Twilio: "The 'To' number +15005550001 is not valid",
 * SMTP: "550 <ada@example.com> unknown user", FCM: the device token; Google's token endpoint and auth library: the
 * signed grant, the service account), and ops need the reason, not the data.
 */
public final class Redaction {

  /** Tried only where a run of an address's characters starts: from every position it would be quadratic. */
  private static final Pattern EMAIL =
      Pattern.compile("(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+");
  /** E.164 with its +, loosely spaced, or URL-encoded (%2B); provider error codes (5 digits) stay readable. */
  private static final Pattern PHONE = Pattern.compile("(?:\\+|%2[Bb])\\d[\\d ().-]{5,}\\d");
  /** A long run of digits: a phone number without its +. */
  private static final Pattern DIGITS = Pattern.compile("(?<!\\w)(?<!\\d\\.)\\d{8,}(?!\\w)(?!\\.\\d)");
  /**
   * A push token, an access token or a key: a whole run of 20 or more characters of a token's alphabet, replaced
   * when it holds a digit and a letter (so that long words of a message stay; see {@link #mixed}).
   */
  private static final Pattern TOKEN = Pattern.compile("(?<![A-Za-z0-9_:.~+=-])[A-Za-z0-9_:.~+=-]{20,}+");
  private static final Pattern BEARER = Pattern.compile("(?i)(bearer|basic)\\s+\\S+");
  /** A PEM private key (a service-account key file quoted in an error), escaped line breaks and all. */
  private static final Pattern PRIVATE_KEY =
      Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", Pattern.DOTALL);
  /** Base64 with '/' (a key, a signature): TOKEN stops at every '/', which would leave pieces of it. */
  private static final Pattern BASE64 = Pattern.compile("(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}+={0,2}");

  private Redaction() {
  }

  public static String apply(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = PRIVATE_KEY.matcher(text).replaceAll("[private key]");
    out = BEARER.matcher(out).replaceAll("$1 [token]");
    out = BASE64.matcher(out).replaceAll(Redaction::tokenOrKept);
    out = EMAIL.matcher(out).replaceAll("[email]");
    out = PHONE.matcher(out).replaceAll("[phone]");
    out = DIGITS.matcher(out).replaceAll("[phone]");
    return TOKEN.matcher(out).replaceAll(Redaction::tokenOrKept);
  }

  /*
   * The patterns match whole runs from their first character only, and a run's content is checked here, not by
   * lookaheads: an answer is a partner's or a provider's text of any length, and a pattern that rescans a run
   * from each of its positions takes quadratic time (seconds of a blocked event loop for a few kilobytes).
   */
  private static String tokenOrKept(MatchResult run) {
    return mixed(run.group()) ? "[token]" : Matcher.quoteReplacement(run.group());
  }

  /** Whether a run holds both a digit and a letter. */
  private static boolean mixed(String run) {
    boolean digit = false;
    boolean letter = false;
    for (int i = 0; i < run.length() && !(digit && letter); i++) {
      char c = run.charAt(i);
      digit |= c >= '0' && c <= '9';
      letter |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }
    return digit && letter;
  }
}
