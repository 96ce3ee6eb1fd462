package notifications;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The exchanges and queues of notifications, declared at every (re)connect:
 * <pre>
 *   {ns}.notifications (topic) --channel--> {ns}.notifications.{channel}          (workers consume)
 *   {ns}.notifications.{channel}.retry.{ms}  TTL queue, dead-letters back to the channel queue
 *   {ns}.notifications.dlx (direct) --channel--> {ns}.notifications.{channel}.dlq (rejected or exhausted)
 * </pre>
 * Every queue names a dead-letter exchange, so RabbitMQ 4's quorum delivery limit never drops a message.
 */
public final class Topology {

  public static final List<String> CHANNELS = List.of("email", "sms", "push");

  private final String namespace;
  private final boolean quorum;
  private final List<Long> retryDelaysMs;

  public Topology(String namespace, boolean quorum, List<Long> retryDelaysMs) {
    this.namespace = namespace;
    this.quorum = quorum;
    this.retryDelaysMs = List.copyOf(retryDelaysMs);
  }

  public String exchange() {
    return namespace + ".notifications";
  }

  public String deadLetterExchange() {
    return namespace + ".notifications.dlx";
  }

  public String queue(String channel) {
    return namespace + ".notifications." + channel;
  }

  public String deadLetterQueue(String channel) {
    return queue(channel) + ".dlq";
  }

  /** The delay queue for the given attempt (1-based): the attempt's delay, the last one repeating. */
  public String retryQueue(String channel, int attempt) {
    return queue(channel) + ".retry." + retryDelayMs(attempt);
  }

  public long retryDelayMs(int attempt) {
    return retryDelaysMs.get(Math.min(Math.max(attempt, 1), retryDelaysMs.size()) - 1);
  }

  /** The retry delay to use when a provider asks us to wait at least this long. */
  public int attemptForDelay(long atLeastMs, int attempt) {
    for (int i = Math.max(attempt, 1); i <= retryDelaysMs.size(); i++) {
      if (retryDelaysMs.get(i - 1) >= atLeastMs) {
        return i;
      }
    }
    return retryDelaysMs.size();
  }

  public void declare(Channel ch) throws IOException {
    ch.exchangeDeclare(exchange(), BuiltinExchangeType.TOPIC, true);
    ch.exchangeDeclare(deadLetterExchange(), BuiltinExchangeType.DIRECT, true);
    for (String channel : CHANNELS) {
      Map<String, Object> main = queueArguments();
      main.put("x-dead-letter-exchange", deadLetterExchange());
      // messages come back from the delay queues under the queue's name: dead-letter them under the channel
      main.put("x-dead-letter-routing-key", channel);
      ch.queueDeclare(queue(channel), true, false, false, main);
      ch.queueBind(queue(channel), exchange(), channel);

      Map<String, Object> dlq = queueArguments();
      // a dead-letter queue's own dead letters would only loop; park them in the same exchange's void
      dlq.put("x-dead-letter-exchange", exchange() + ".void");
      ch.queueDeclare(deadLetterQueue(channel), true, false, false, dlq);
      ch.queueBind(deadLetterQueue(channel), deadLetterExchange(), channel);

      for (long delay : retryDelaysMs.stream().distinct().toList()) {
        Map<String, Object> retry = queueArguments();
        retry.put("x-message-ttl", delay);
        retry.put("x-dead-letter-exchange", "");
        retry.put("x-dead-letter-routing-key", queue(channel));
        ch.queueDeclare(queue(channel) + ".retry." + delay, true, false, false, retry);
      }
    }
  }

  private Map<String, Object> queueArguments() {
    Map<String, Object> args = new HashMap<>();
    if (quorum) {
      args.put("x-queue-type", "quorum");
    }
    return args;
  }
}
