package logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;

import java.util.Arrays;
import java.util.Optional;

/** How log lines are written: {@code text} for people, {@code json} for log shippers ({@code ROSTER_LOG_FORMAT}). */
public enum LogFormat {
  TEXT("text"),
  JSON("json");

  private final String value;

  LogFormat(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  /** The format of a setting's value, exactly {@code text} or {@code json}. */
  public static Optional<LogFormat> of(String value) {
    return Arrays.stream(values()).filter(f -> f.value.equals(value)).findFirst();
  }

  /** A new encoder of this format (not started). */
  public Encoder<ILoggingEvent> newEncoder() {
    return this == JSON ? new JsonLines() : new TextLines();
  }
}
