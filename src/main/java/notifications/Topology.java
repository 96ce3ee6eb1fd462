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
 *   {ns}.notifications.dlx (direct) --channel--> {ns}.notifications.{channel}.dlq (what the broker dead-letters;
 *                                                 workers turn each into a failed delivery row)
 *   {ns}.notifications.{channel}.parked       unreadable messages, kept for ops (nobody consumes it)
 *   {ns}.tasks (direct) --run--> {ns}.tasks (scheduled job runs), with the same retry and dead-letter shape
 *   {ns}.webhooks (direct) --webhook--> {ns}.webhooks (one message per event and endpoint), with the same shape
 *                                          (its dead letters become failed deliveries; {ns}.webhooks.parked)
 * </pre>
 * Every queue names a dead-letter exchange, so RabbitMQ 4's quorum delivery limit never drops a message.
 */
public final class Topology {

  public static final List<String> CHANNELS = List.of("email", "sms", "push");
  public static final String TASK_ROUTING_KEY = "run";
  public static final String WEBHOOK_ROUTING_KEY = "webhook";
  /** Webhook retries when the configuration names none: about a day in all. */
  public static final List<Long> DEFAULT_WEBHOOK_RETRY_DELAYS_MS =
      List.of(5_000L, 300_000L, 1_800_000L, 7_200_000L, 18_000_000L, 36_000_000L);

  private final String namespace;
  private final boolean quorum;
  private final List<Long> retryDelaysMs;

  private final List<Long> taskRetryDelaysMs;
  private final List<Long> webhookRetryDelaysMs;

  public Topology(String namespace, boolean quorum, List<Long> retryDelaysMs, List<Long> taskRetryDelaysMs) {
    this(namespace, quorum, retryDelaysMs, taskRetryDelaysMs, DEFAULT_WEBHOOK_RETRY_DELAYS_MS);
  }

  public Topology(String namespace, boolean quorum, List<Long> retryDelaysMs, List<Long> taskRetryDelaysMs,
                  List<Long> webhookRetryDelaysMs) {
    this.namespace = namespace;
    this.quorum = quorum;
    this.retryDelaysMs = List.copyOf(retryDelaysMs);
    this.taskRetryDelaysMs = List.copyOf(taskRetryDelaysMs);
    this.webhookRetryDelaysMs = List.copyOf(webhookRetryDelaysMs);
  }

  public String webhookExchange() {
    return namespace + ".webhooks";
  }

  public String webhookQueue() {
    return namespace + ".webhooks";
  }

  public String webhookDeadLetterQueue() {
    return webhookQueue() + ".dlq";
  }

  /** Where unreadable webhook messages are kept for ops: they cannot become delivery rows. */
  public String webhookParkedQueue() {
    return webhookQueue() + ".parked";
  }

  /** Delays before webhook retry 1, 2, ...; there is no retry past the last. */
  public List<Long> webhookRetryDelaysMs() {
    return webhookRetryDelaysMs;
  }

  public String webhookRetryQueue(long delayMs) {
    return webhookQueue() + ".retry." + delayMs;
  }

  public String taskExchange() {
    return namespace + ".tasks";
  }

  public String taskQueue() {
    return namespace + ".tasks";
  }

  public String taskDeadLetterQueue() {
    return taskQueue() + ".dlq";
  }

  /** The delay queue for a task's retry number (1-based), the last delay repeating. */
  public String taskRetryQueue(int retry) {
    return taskQueue() + ".retry." + taskRetryDelayMs(retry);
  }

  public long taskRetryDelayMs(int retry) {
    return taskRetryDelaysMs.get(Math.min(Math.max(retry, 1), taskRetryDelaysMs.size()) - 1);
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

  /** Where unreadable messages are kept for ops: they cannot become delivery rows. */
  public String parkedQueue(String channel) {
    return queue(channel) + ".parked";
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

      ch.queueDeclare(deadLetterQueue(channel), true, false, false, endOfLine());
      ch.queueBind(deadLetterQueue(channel), deadLetterExchange(), channel);
      ch.queueDeclare(parkedQueue(channel), true, false, false, endOfLine());

      declareRetryQueues(ch, queue(channel), retryDelaysMs);
    }

    ch.exchangeDeclare(taskExchange(), BuiltinExchangeType.DIRECT, true);
    ch.exchangeDeclare(taskExchange() + ".dlx", BuiltinExchangeType.DIRECT, true);
    Map<String, Object> tasks = queueArguments();
    tasks.put("x-dead-letter-exchange", taskExchange() + ".dlx");
    tasks.put("x-dead-letter-routing-key", TASK_ROUTING_KEY);
    ch.queueDeclare(taskQueue(), true, false, false, tasks);
    ch.queueBind(taskQueue(), taskExchange(), TASK_ROUTING_KEY);
    ch.queueDeclare(taskDeadLetterQueue(), true, false, false, endOfLine());
    ch.queueBind(taskDeadLetterQueue(), taskExchange() + ".dlx", TASK_ROUTING_KEY);
    declareRetryQueues(ch, taskQueue(), taskRetryDelaysMs);

    ch.exchangeDeclare(webhookExchange(), BuiltinExchangeType.DIRECT, true);
    ch.exchangeDeclare(webhookExchange() + ".dlx", BuiltinExchangeType.DIRECT, true);
    Map<String, Object> webhooks = queueArguments();
    webhooks.put("x-dead-letter-exchange", webhookExchange() + ".dlx");
    webhooks.put("x-dead-letter-routing-key", WEBHOOK_ROUTING_KEY);
    ch.queueDeclare(webhookQueue(), true, false, false, webhooks);
    ch.queueBind(webhookQueue(), webhookExchange(), WEBHOOK_ROUTING_KEY);
    ch.queueDeclare(webhookDeadLetterQueue(), true, false, false, endOfLine());
    ch.queueBind(webhookDeadLetterQueue(), webhookExchange() + ".dlx", WEBHOOK_ROUTING_KEY);
    ch.queueDeclare(webhookParkedQueue(), true, false, false, endOfLine());
    declareRetryQueues(ch, webhookQueue(), webhookRetryDelaysMs);
  }

  /**
   * A dead-letter queue is the end of the line: nobody consumes it but ops. It still names a dead-letter
   * exchange (unbound, so such letters are dropped on purpose), since a quorum queue without one drops
   * messages past its delivery limit silently and RabbitMQ's defaults should not decide that for us.
   */
  private Map<String, Object> endOfLine() {
    Map<String, Object> args = queueArguments();
    args.put("x-dead-letter-exchange", namespace + ".discarded");
    return args;
  }

  /** TTL queues that dead-letter back into {@code target} through the default exchange. */
  private void declareRetryQueues(Channel ch, String target, List<Long> delays) throws IOException {
    for (long delay : delays.stream().distinct().toList()) {
      Map<String, Object> retry = queueArguments();
      retry.put("x-message-ttl", delay);
      retry.put("x-dead-letter-exchange", "");
      retry.put("x-dead-letter-routing-key", target);
      ch.queueDeclare(target + ".retry." + delay, true, false, false, retry);
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
