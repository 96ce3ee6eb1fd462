package logging;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * A log line's time to the millisecond, as {@code <seconds pattern>.SSS<suffix>} would print it, with the part up to
 * the seconds formatted once per second: a DateTimeFormatter with milliseconds formats every line afresh (its
 * fraction goes through BigDecimal), and a busy node writes hundreds of lines a second. Thread-safe: lines are
 * encoded on the threads that log them.
 */
final class LineClock {

  /** One second's text up to and with the dot; immutable, so a racing reader sees a whole one. */
  private record Second(long epochSecond, String prefix) {
  }

  private final DateTimeFormatter seconds;
  private final String suffix;
  private volatile Second last = new Second(Long.MIN_VALUE, "");

  /**
   * @param secondsPattern the pattern up to the seconds ({@code HH:mm:ss})
   * @param suffix what follows the milliseconds, the same whatever the time ({@code Z} in UTC, or nothing)
   */
  LineClock(String secondsPattern, ZoneId zone, String suffix) {
    this.seconds = DateTimeFormatter.ofPattern(secondsPattern).withZone(zone);
    this.suffix = suffix;
  }

  /** {@code HH:mm:ss.SSS} in the JVM's time zone, as logback's {@code %d{HH:mm:ss.SSS}} prints. */
  static LineClock localTime() {
    return new LineClock("HH:mm:ss", ZoneId.systemDefault(), "");
  }

  /** {@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX} in UTC, where XXX is always {@code Z}. */
  static LineClock utcTimestamp() {
    return new LineClock("yyyy-MM-dd'T'HH:mm:ss", ZoneId.of("UTC"), "Z");
  }

  String format(long epochMillis) {
    long epochSecond = Math.floorDiv(epochMillis, 1000);
    int millis = (int) Math.floorMod(epochMillis, 1000);
    Second second = last;
    if (second.epochSecond() != epochSecond) {
      // time zone offsets change on whole seconds: a second's prefix holds for all its milliseconds
      second = new Second(epochSecond, seconds.format(Instant.ofEpochSecond(epochSecond)) + ".");
      last = second;
    }
    StringBuilder out = new StringBuilder(second.prefix().length() + 3 + suffix.length()).append(second.prefix());
    if (millis < 100) {
      out.append('0');
    }
    if (millis < 10) {
      out.append('0');
    }
    return out.append(millis).append(suffix).toString();
  }
}
