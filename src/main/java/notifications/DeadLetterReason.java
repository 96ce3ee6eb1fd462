package notifications;

import com.rabbitmq.client.AMQP;

import java.util.List;
import java.util.Map;

/**
 * Why the broker dead-lettered a message, as a delivery's last error: from its most recent {@code x-death} entry
 * (queue, reason, count), else from {@code x-first-death-queue}/{@code x-first-death-reason}. A copy that went
 * through a delay queue also carries that queue's "expired" death, but as an older entry: the most recent one is
 * the death that brought it to the dead-letter queue.
 */
public final class DeadLetterReason {

  private DeadLetterReason() {
  }

  public static String of(AMQP.BasicProperties props) {
    Map<String, Object> headers = props.getHeaders() == null ? Map.of() : props.getHeaders();
    String queue = null;
    String reason = null;
    Object count = null;
    if (headers.get("x-death") instanceof List<?> deaths && !deaths.isEmpty() && deaths.get(0) instanceof Map<?, ?> last) {
      queue = text(last.get("queue"));
      reason = text(last.get("reason"));
      count = last.get("count");
    }
    if (reason == null) {
      queue = text(headers.get("x-first-death-queue"));
      reason = text(headers.get("x-first-death-reason"));
    }
    return "dead-lettered by the broker" + (queue == null ? "" : " from " + queue) + ": "
        + (reason == null ? "reason unknown" : reason) + (count == null ? "" : " (" + count + " time(s))");
  }

  /** Header values arrive as LongString (or String when set by a client in the same process). */
  private static String text(Object value) {
    return value == null ? null : value.toString();
  }
}
