package web;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Time in and out of JSON: RFC 3339, returned in UTC with seconds always present. */
public final class Json {

  private Json() {
  }

  public static String time(OffsetDateTime t) {
    return t == null ? null : DateTimeFormatter.ISO_INSTANT.format(t.toInstant());
  }

  public static OffsetDateTime parseTime(String field, String text) {
    try {
      return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw ApiError.invalid(field, "is not an RFC 3339 date-time with offset");
    }
  }
}
