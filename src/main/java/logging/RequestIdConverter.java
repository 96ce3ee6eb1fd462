package logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %requestId} in a text pattern: {@code req=<id> } while serving a request, nothing otherwise. */
public final class RequestIdConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    String id = LogContext.requestId();
    return id == null ? "" : "req=" + id + " ";
  }
}
