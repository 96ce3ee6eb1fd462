package support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonObject;
import logging.LogFormat;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the service logs while open (every logger, at the configured levels), as an operator would
 * read it: each line with the messages of the exception and its causes. {@link #encoded(LogFormat)} also keeps
 * the bytes the service's encoder writes for each line (in text or JSON), as a log shipper would receive them.
 */
public final class LogCapture implements AutoCloseable {

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final OutputStreamAppender<ILoggingEvent> encoded;

  private LogCapture(LogFormat format) {
    appender.setContext(root.getLoggerContext());
    appender.start();
    root.addAppender(appender);
    if (format == null) {
      encoded = null;
      return;
    }
    // synchronous, like the console: the encoder reads the request id from the logging thread's Vert.x context
    Encoder<ILoggingEvent> encoder = format.newEncoder();
    encoder.setContext(root.getLoggerContext());
    encoder.start();
    encoded = new OutputStreamAppender<>();
    encoded.setContext(root.getLoggerContext());
    encoded.setEncoder(encoder);
    encoded.setOutputStream(bytes);
    encoded.setImmediateFlush(true);
    encoded.start();
    root.addAppender(encoded);
  }

  public static LogCapture start() {
    return new LogCapture(null);
  }

  /** Also keeps each line as the service's encoder of this format writes it. */
  public static LogCapture encoded(LogFormat format) {
    return new LogCapture(format);
  }

  public List<String> lines() {
    List<ILoggingEvent> events;
    // ListAppender adds under the appender's own lock (AppenderBase.doAppend is synchronized), not the list's
    synchronized (appender) {
      events = new ArrayList<>(appender.list);
    }
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : events) {
      StringBuilder line = new StringBuilder(event.getLevel() + " " + event.getLoggerName() + " - "
          + event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(line.toString());
    }
    return lines;
  }

  public boolean contains(String text) {
    return lines().stream().anyMatch(line -> line.contains(text));
  }

  /** What the encoder wrote, every line (stack traces included), as one text. */
  public String output() {
    if (encoded == null) {
      throw new IllegalStateException("LogCapture.encoded(format) keeps the encoded output");
    }
    synchronized (bytes) {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** The encoded lines parsed as JSON objects (fails on a line that is not one). */
  public List<JsonObject> jsonLines() {
    return Arrays.stream(output().split("\n")).filter(l -> !l.isBlank()).map(JsonObject::new).toList();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
    if (encoded != null) {
      root.detachAppender(encoded);
      encoded.stop();
    }
  }
}
