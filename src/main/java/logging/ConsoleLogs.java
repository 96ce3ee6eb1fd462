package logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * Logback configures itself from logback.xml and the ROSTER_LOG_* variables before the service reads its
 * configuration; the launcher then applies what the merged configuration says (a {@code --conf} file may set
 * {@code log.format} or {@code log.level}).
 */
public final class ConsoleLogs {

  private ConsoleLogs() {
  }

  public static void apply(LogFormat format, Level level) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(level);
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out && out.getEncoder() instanceof ConsoleEncoder console) {
        console.use(format);
      }
    }
  }
}
