package logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import net.logstash.logback.composite.JsonProviders;
import net.logstash.logback.composite.loggingevent.KeyValuePairsJsonProvider;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.MessageJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;

/**
 * One JSON object per line for log shippers ({@code ROSTER_LOG_FORMAT=json}): {@code timestamp} (ISO 8601, UTC,
 * milliseconds), {@code level}, {@code logger}, {@code thread}, {@code message}, {@code stack_trace} when there is one,
 * the correlation fields of {@link CorrelationJsonProvider}, and the key/value pairs a line adds (the access log's
 * {@code method}, {@code route}, {@code status}, ...). Not the MDC and not the message's arguments: only what a
 * line chooses to say leaves the process.
 */
public final class JsonLines extends LoggingEventCompositeJsonEncoder {

  public JsonLines() {
    JsonProviders<ILoggingEvent> providers = getProviders();
    // milliseconds in UTC, as shippers parse without configuration
    providers.addProvider(new TimestampJsonProvider());
    providers.addProvider(named(new LogLevelJsonProvider(), "level"));
    providers.addProvider(named(new LoggerNameJsonProvider(), "logger"));
    providers.addProvider(named(new LoggingEventThreadNameJsonProvider(), "thread"));
    providers.addProvider(named(new MessageJsonProvider(), "message"));
    providers.addProvider(new CorrelationJsonProvider());
    providers.addProvider(new KeyValuePairsJsonProvider());
    providers.addProvider(named(new StackTraceJsonProvider(), "stack_trace"));
  }

  private static <T extends net.logstash.logback.composite.AbstractFieldJsonProvider<ILoggingEvent>> T named(
      T provider, String field) {
    provider.setFieldName(field);
    return provider;
  }
}
