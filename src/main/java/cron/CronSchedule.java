package cron;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A cron expression in a time zone, with wall-clock semantics: Unix 5-field ({@code 0 0 * * SUN}) or 6-field
 * with a leading seconds field ({@code *&#47;10 * * * * *}). Instants are found in local time and then placed
 * in the zone, so each local instant fires once across daylight-saving changes: a time that does not exist
 * (spring forward) fires once, shifted by the gap; a time that occurs twice (fall back) fires once, the first
 * time.
 */
public final class CronSchedule {

  private static final CronParser FIVE_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SIX_FIELDS = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  /** Why an expression or a zone was refused; the message is for the client. */
  public static final class Invalid extends RuntimeException {
    private final boolean timezone;

    Invalid(String message, boolean timezone) {
      super(message, null, false, false);
      this.timezone = timezone;
    }

    public boolean isTimezone() {
      return timezone;
    }
  }

  private final String expression;
  private final ZoneId zone;
  private final ExecutionTime execution;

  private CronSchedule(String expression, ZoneId zone, ExecutionTime execution) {
    this.expression = expression;
    this.zone = zone;
    this.execution = execution;
  }

  public static CronSchedule parse(String expression, String timezone) {
    ZoneId zone = zone(timezone);
    String trimmed = expression == null ? "" : expression.trim().replaceAll("\\s+", " ");
    int fields = trimmed.isEmpty() ? 0 : trimmed.split(" ").length;
    if (fields != 5 && fields != 6) {
      throw new Invalid("a cron expression has 5 fields (minute hour day month weekday), or 6 with leading seconds", false);
    }
    try {
      Cron cron = (fields == 5 ? FIVE_FIELDS : SIX_FIELDS).parse(trimmed);
      cron.validate();
      return new CronSchedule(trimmed, zone, ExecutionTime.forCron(cron));
    } catch (IllegalArgumentException e) {
      throw new Invalid("'" + trimmed + "' is not a valid cron expression: " + e.getMessage(), false);
    }
  }

  public static ZoneId zone(String timezone) {
    try {
      return ZoneId.of(timezone == null || timezone.isBlank() ? "UTC" : timezone);
    } catch (DateTimeException e) {
      throw new Invalid("'" + timezone + "' is not a known time zone (use an IANA name like Europe/Berlin)", true);
    }
  }

  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /** The first instant strictly after {@code after}, or empty when the expression never fires again. */
  public Optional<Instant> next(Instant after) {
    LocalDateTime local = LocalDateTime.ofInstant(after, zone);
    for (int guard = 0; guard < 4; guard++) {
      Optional<ZonedDateTime> candidate = execution.nextExecution(local.atZone(ZoneOffset.UTC));
      if (candidate.isEmpty()) {
        return Optional.empty();
      }
      local = candidate.get().toLocalDateTime();
      // ofLocal: a gap moves later by its length; an overlap takes the earlier offset
      Instant instant = ZonedDateTime.ofLocal(local, zone, null).toInstant();
      if (instant.isAfter(after)) {
        return Optional.of(instant);
      }
    }
    return Optional.empty();
  }
}
