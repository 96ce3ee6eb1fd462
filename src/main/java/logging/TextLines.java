package logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;

import java.nio.charset.StandardCharsets;

/**
 * Lines for people ({@code ROSTER_LOG_FORMAT=text}): time, level, thread, logger, the request id while serving a
 * request, the message. {@code 14:02:11.503 INFO  [vert.x-eventloop-thread-1] roster.access req=Q2x9... - GET ...}
 */
public final class TextLines extends LayoutWrappingEncoder<ILoggingEvent> {

  static final String PATTERN = "%lineTime %-5level [%thread] %logger{20} %requestId- %msg%n";

  @Override
  public void start() {
    PatternLayout layout = new PatternLayout();
    layout.getInstanceConverterMap().put("requestId", RequestIdConverter::new);
    // %d{HH:mm:ss.SSS}, formatted once per second rather than once per line
    layout.getInstanceConverterMap().put("lineTime", LineTimeConverter::new);
    layout.setPattern(PATTERN);
    layout.setContext(getContext());
    layout.start();
    setLayout(layout);
    setCharset(StandardCharsets.UTF_8);
    super.start();
  }
}
