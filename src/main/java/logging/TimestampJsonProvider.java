package logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import net.logstash.logback.composite.AbstractFieldJsonProvider;

import java.io.IOException;

/**
 * {@code timestamp} of a JSON line: ISO 8601 in UTC to the millisecond ({@code 2026-03-01T14:02:11.503Z}), as
 * logstash's timestamp provider with the pattern {@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX} prints it, at less cost
 * (see {@link LineClock}).
 */
public final class TimestampJsonProvider extends AbstractFieldJsonProvider<ILoggingEvent> {

  private final LineClock clock = LineClock.utcTimestamp();

  public TimestampJsonProvider() {
    setFieldName("timestamp");
  }

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    generator.writeStringField(getFieldName(), clock.format(event.getTimeStamp()));
  }
}
