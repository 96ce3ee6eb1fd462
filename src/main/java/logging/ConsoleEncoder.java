package logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The console's encoder, in the format logback.xml names ({@code <format>${ROSTER_LOG_FORMAT:-text}</format>}),
 * switchable once the configuration is loaded. Chosen in Java rather than by a conditional in logback.xml, which
 * would need janino. An unknown format writes text here; the service then refuses to start, naming the setting.
 */
public final class ConsoleEncoder extends EncoderBase<ILoggingEvent> {

  private String format = LogFormat.TEXT.value();
  private volatile Encoder<ILoggingEvent> delegate;

  public void setFormat(String format) {
    this.format = format == null ? "" : format.trim();
  }

  @Override
  public void start() {
    LogFormat chosen = LogFormat.of(format).orElseGet(() -> {
      addWarn("ROSTER_LOG_FORMAT must be json or text, got '" + format + "': writing text");
      return LogFormat.TEXT;
    });
    delegate = started(chosen);
    super.start();
  }

  /** From now on, lines in this format. The previous encoder is left running: another thread may be using it. */
  void use(LogFormat next) {
    delegate = started(next);
  }

  private Encoder<ILoggingEvent> started(LogFormat chosen) {
    Encoder<ILoggingEvent> encoder = chosen.newEncoder();
    encoder.setContext(getContext());
    encoder.start();
    return encoder;
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }
}
