package notifications;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import notifications.NotificationRepository.Claim;
import notifications.channels.DeliveryException;
import notifications.channels.NotificationChannel;
import notifications.channels.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Consumes the channel queues (manual acks, prefetch from config) and delivers each message once:
 * the delivery row is claimed before sending and marked sent before the ack, so a redelivered or
 * duplicated message is acknowledged without sending again. Failures retry through the delay queues
 * with growing delays; a permanent failure (a provider's 4xx) fails at once; exhausted attempts and
 * unreadable messages go to the dead-letter queue.
 */
public final class NotificationWorker {

  private static final Logger log = LoggerFactory.getLogger(NotificationWorker.class);
  static final String ATTEMPT_HEADER = "x-roster-attempt";

  private final Vertx vertx;
  private final Context context;
  private final Pool pool;
  private final NotificationRepository repository;
  private final Map<String, NotificationChannel> channels;
  private final Templates templates;
  private final NotificationMetrics metrics;
  private final int maxAttempts;
  private final int prefetch;
  private final long sendTimeoutMs;
  /** Channel → most deliveries a member gets per hour (SMS and push cost money and wake phones). */
  private final Map<String, Integer> hourlyCaps = new java.util.HashMap<>();
  private BrokerConnection broker;
  private int inFlight;
  private final java.util.List<String> consumerTags = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Channel consuming;

  public NotificationWorker(Vertx vertx, Pool pool, NotificationRepository repository,
                            Map<String, NotificationChannel> channels, Templates templates, NotificationMetrics metrics,
                            int maxAttempts, int prefetch, long sendTimeoutMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pool = pool;
    this.repository = repository;
    this.channels = channels;
    this.templates = templates;
    this.metrics = metrics;
    this.maxAttempts = maxAttempts;
    this.prefetch = prefetch;
    this.sendTimeoutMs = sendTimeoutMs;
  }

  /** Caps a member's deliveries over {@code channel} per hour; beyond it a delivery fails without being sent. */
  public NotificationWorker capPerHour(String channel, int max) {
    hourlyCaps.put(channel, max);
    return this;
  }

  public void attach(BrokerConnection broker) {
    this.broker = broker;
  }

  public int inFlight() {
    return inFlight;
  }

  /**
   * A clean stop (rolling deploy, scale-down): take no new messages, and let the deliveries in flight finish
   * and be acknowledged (up to the send timeout, and at most {@code timeoutMs}), so none is left half-sent to be
   * sent again after its lease.
   */
  public Future<Void> drain(long timeoutMs) {
    Channel ch = consuming;
    Future<Void> cancelled = ch == null ? Future.succeededFuture() : broker.callOn(ch, c -> {
      for (String tag : consumerTags) {
        c.basicCancel(tag);
      }
      return null;
    });
    long waitMs = Math.min(timeoutMs, sendTimeoutMs + 2000);
    return cancelled.otherwiseEmpty().compose(v -> waitForIdle(System.currentTimeMillis() + waitMs));
  }

  private Future<Void> waitForIdle(long deadline) {
    if (inFlight == 0 || System.currentTimeMillis() > deadline) {
      if (inFlight > 0) {
        log.warn("stopping with {} delivery(ies) still in flight; they will be retried after their lease", inFlight);
      }
      return Future.succeededFuture();
    }
    io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
    vertx.setTimer(50, t -> waitForIdle(deadline).onComplete(later));
    return later.future();
  }

  /** Runs on each (re)connect, on a worker thread: prefetch, confirms for retry publishing, consumers. */
  public Void onConnected(Channel ch) throws IOException {
    ch.basicQos(prefetch);
    ch.confirmSelect();
    consumerTags.clear();
    consuming = ch;
    for (String channel : Topology.CHANNELS) {
      String consumerTag = "roster-worker-" + channel + "-" + UUID.randomUUID();
      consumerTags.add(consumerTag);
      ch.basicConsume(broker.topology().queue(channel), false, consumerTag,
          new DefaultConsumer(ch) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
              tracing.MessageContexts.dispatch(context, broker.topology().queue(channel), props.getHeaders(),
                  () -> handle(ch, channel, envelope, props, body));
            }
          });
    }
    return null;
  }

  /** Completes once the message is settled (acked, dead-lettered or left for redelivery). */
  private Future<?> handle(Channel ch, String queueChannel, Envelope envelope, AMQP.BasicProperties props,
                           byte[] body) {
    long tag = envelope.getDeliveryTag();
    NotificationMessage message;
    try {
      message = NotificationMessage.parse(body);
    } catch (IllegalArgumentException e) {
      log.warn("dead-lettering an unreadable message from the {} queue: {}", queueChannel, e.getMessage());
      metrics.poison(queueChannel);
      return broker.deadLetter(ch, tag);
    }
    int attempt = attemptOf(props);
    inFlight++;
    return repository.claim(pool, message, sendTimeoutMs + 10_000)
        .compose(claim -> switch (claim) {
          case SENT, FAILED -> broker.ack(ch, tag);
          // another copy is being sent right now: look again after a delay (its holder may have died)
          case BUSY -> requeueLater(ch, message, attempt, 0).compose(v -> broker.ack(ch, tag));
          case CLAIMED -> deliver(message).compose(
              sent -> {
                metrics.delivered(message.channel());
                return broker.ack(ch, tag);
              },
              error -> failed(ch, tag, message, attempt, error));
        })
        .onComplete(done -> {
          inFlight--;
          if (done.failed()) {
            // the database or broker is unavailable: leave the message unacked; it comes back on reconnect
            log.warn("delivery of {} via {} not settled: {}", message.notificationId(), message.channel(),
                done.cause().getMessage());
            broker.requeue(ch, tag);
          }
        });
  }

  private Future<Void> deliver(NotificationMessage message) {
    NotificationChannel channel = channels.get(message.channel());
    if (channel == null) {
      return Future.failedFuture(DeliveryException.permanent("the " + message.channel() + " channel is not configured"));
    }
    String event = message.payload().getString("eventId");
    return withinHourlyCap(message)
        .compose(v -> repository.recipient(pool, message.memberId(), event == null ? null : UUID.fromString(event)))
        .compose(recipient -> {
          if (recipient == null) {
            return Future.failedFuture(DeliveryException.permanent("the member no longer exists"));
          }
          try {
            return channel.send(recipient, templates.render(message.kind(), recipient));
          } catch (IllegalArgumentException e) {
            return Future.failedFuture(DeliveryException.permanent(e.getMessage()));
          }
        })
        .timeout(sendTimeoutMs, TimeUnit.MILLISECONDS)
        .compose(v -> markSent(message, 3));
  }

  private Future<Void> withinHourlyCap(NotificationMessage message) {
    Integer cap = hourlyCaps.get(message.channel());
    if (cap == null || message.memberId() == null) {
      return Future.succeededFuture();
    }
    return repository.sentInLastHour(pool, message).compose(sent -> sent < cap ? Future.succeededFuture()
        : Future.failedFuture(DeliveryException.permanent("rate limited: the member already had " + sent + " "
            + message.channel() + " deliveries in the last hour (the cap is " + cap + " per hour)")));
  }

  /** Sent is sent: recording it is retried, so a database hiccup now does not make us send again. */
  private Future<Void> markSent(NotificationMessage message, int triesLeft) {
    return repository.markSent(pool, message).recover(error -> {
      if (triesLeft <= 1) {
        return Future.failedFuture(new IllegalStateException("sent, but not recorded: " + error.getMessage()));
      }
      io.vertx.core.Promise<Void> retry = io.vertx.core.Promise.promise();
      vertx.setTimer(500, t -> markSent(message, triesLeft - 1).onComplete(retry));
      return retry.future();
    });
  }

  private Future<Void> failed(Channel ch, long tag, NotificationMessage message, int attempt, Throwable error) {
    // what a provider answered may hold the member's phone, address or token: none of it reaches a log or lastError
    String reason = Redaction.apply(error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
    boolean permanent = error instanceof DeliveryException d && d.permanent();
    if (permanent || attempt >= maxAttempts) {
      metrics.failed(message.channel());
      log.warn("delivery of {} via {} failed after {} attempt(s): {}", message.notificationId(), message.channel(),
          attempt, reason);
      return repository.markFailed(pool, message, reason)
          // a permanent failure is settled; exhausted retries go to the dead-letter queue for ops
          .compose(v -> permanent ? broker.ack(ch, tag) : broker.deadLetter(ch, tag));
    }
    long retryAfter = error instanceof DeliveryException d ? d.retryAfterMs() : 0;
    metrics.retried(message.channel());
    return requeueLater(ch, message, attempt + 1, retryAfter)
        .compose(v -> repository.markRetrying(pool, message, reason))
        .compose(v -> broker.ack(ch, tag));
  }

  /** Publishes a copy to the delay queue of the given attempt (confirmed), to come back after its TTL. */
  private Future<Void> requeueLater(Channel ch, NotificationMessage message, int attempt, long atLeastMs) {
    Topology topology = broker.topology();
    int delayLevel = atLeastMs > 0 ? topology.attemptForDelay(atLeastMs, attempt) : Math.max(attempt - 1, 1);
    String queue = topology.retryQueue(message.channel(), delayLevel);
    AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json").deliveryMode(2)
        .messageId(message.notificationId().toString()).type(message.kind())
        .headers(tracing.MessageHeaders.withCurrentTrace(Map.of(ATTEMPT_HEADER, attempt))).build();
    return broker.publishConfirmed(ch, queue, props, message.toBuffer().getBytes());
  }

  private static int attemptOf(AMQP.BasicProperties props) {
    Object value = props.getHeaders() == null ? null : props.getHeaders().get(ATTEMPT_HEADER);
    return value instanceof Number n ? Math.max(1, n.intValue()) : 1;
  }
}
