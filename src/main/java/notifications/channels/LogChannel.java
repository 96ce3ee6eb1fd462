package notifications.channels;

import io.vertx.core.Future;
import notifications.NotificationRepository.Recipient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** start-dev's channel: the notification is written to the log instead of being sent. */
public final class LogChannel implements NotificationChannel {

  private static final Logger log = LoggerFactory.getLogger("notifications");

  private final String medium;

  public LogChannel(String medium) {
    this.medium = medium;
  }

  @Override
  public Future<Void> send(Recipient to, Rendered message) {
    log.info("[{} → {} <{}>] {} | {}", medium, to.name(), to.email(), message.subject(), message.shortText());
    return Future.succeededFuture();
  }
}
