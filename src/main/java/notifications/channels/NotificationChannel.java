package notifications.channels;

import io.vertx.core.Future;
import notifications.NotificationRepository.Recipient;

/** One way of reaching a member. Fails with {@link DeliveryException} (or any exception: retried). */
public interface NotificationChannel {

  Future<Void> send(Recipient to, Rendered message);
}
