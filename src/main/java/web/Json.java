package web;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Time in and out of JSON: RFC 3339, returned in UTC with seconds always present. */
public final class Json {

  private Json() {
  }

  /**
   * The instant in UTC, exactly as {@link DateTimeFormatter#ISO_INSTANT} writes it (fraction in groups of three
   * digits, none when zero). Written by hand because a list of events formats dozens of times per request and
   * the general formatter was a sixth of the CPU of a browse request.
   */
  public static String time(OffsetDateTime t) {
    if (t == null) {
      return null;
    }
    LocalDateTime utc = LocalDateTime.ofEpochSecond(t.toEpochSecond(), t.getNano(), ZoneOffset.UTC);
    int year = utc.getYear();
    if (year < 0 || year > 9999) {
      return DateTimeFormatter.ISO_INSTANT.format(t.toInstant());
    }
    StringBuilder out = new StringBuilder(30);
    digits(out, year, 4).append('-');
    digits(out, utc.getMonthValue(), 2).append('-');
    digits(out, utc.getDayOfMonth(), 2).append('T');
    digits(out, utc.getHour(), 2).append(':');
    digits(out, utc.getMinute(), 2).append(':');
    digits(out, utc.getSecond(), 2);
    int nano = utc.getNano();
    if (nano != 0) {
      out.append('.');
      if (nano % 1_000_000 == 0) {
        digits(out, nano / 1_000_000, 3);
      } else if (nano % 1_000 == 0) {
        digits(out, nano / 1_000, 6);
      } else {
        digits(out, nano, 9);
      }
    }
    return out.append('Z').toString();
  }

  public static OffsetDateTime parseTime(String field, String text) {
    try {
      return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw ApiError.invalid(field, "is not an RFC 3339 date-time with offset");
    }
  }

  /** Appends value (non-negative) zero-padded to width digits. */
  private static StringBuilder digits(StringBuilder out, int value, int width) {
    for (int divisor = pow10(width - 1); divisor > 0; divisor /= 10) {
      out.append((char) ('0' + value / divisor % 10));
    }
    return out;
  }

  private static int pow10(int n) {
    int p = 1;
    for (int i = 0; i < n; i++) {
      p *= 10;
    }
    return p;
  }
}
